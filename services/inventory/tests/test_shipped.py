"""Given a reservation -> when its shipment leaves the warehouse (ShipmentStatusChanged with
the shipment's lines) -> then its units come off the shelf and off the hold, once per
shipment, so a later absolute count from the warehouse agrees and shows no false shortage;
when the carrier brings it back (returned to sender) they are on the shelf again, once."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ordo_events import events as ev
from ordo_events.topics import STOCK_SYNC
from ordo_inventory import reconcile
from ordo_inventory.app import service
from ordo_inventory.handlers import set_stock_level
from ordo_runtime.testing import Scenario
from services.inventory.tests.support import line, order_of, reservation, stock, stocked, validated

ORDER = order_of("ship-1", ("A", 3), ("B", 1))
OID = ORDER.order_id


def released() -> Scenario:
    scenario = stocked(A=10, B=5)
    scenario.when(validated(ORDER))
    scenario.when(ev.OrderReadyForFulfillment(order_id=OID, lines=[line("A", 3), line("B", 1)]))
    return scenario


def left(
    status: ev.ShipmentStatus = "handed_to_carrier",
    shipment: str = "S1",
    *lines: ev.ReservedLine,
) -> ev.ShipmentStatusChanged:
    return ev.ShipmentStatusChanged(
        order_id=OID,
        shipment_id=f"{OID}-{shipment}",
        status=status,
        lines=list(lines) or [line("A", 3), line("B", 1)],
    )


def count(scenario: Scenario, sku: str, on_hand: int) -> None:
    message = {"sku": sku, "warehouse": "main", "on_hand": on_hand}
    scenario.when_raw(STOCK_SYNC.name, json.dumps(message).encode())


def test_units_leave_the_shelf_and_the_hold_at_the_hand_over() -> None:
    scenario = released()
    assert scenario.when(left()) == [
        ev.StockShipped(order_id=OID, shipment_id=f"{OID}-S1", lines=[line("A", 3), line("B", 1)])
    ]
    a = stock(scenario, "A")
    assert (a.on_hand["main"], a.reserved["main"], a.available("main")) == (7, 0, 7)
    assert reservation(scenario, OID).held == []


def test_a_count_after_the_hand_over_shows_no_false_shortage() -> None:
    scenario = released()
    scenario.when(left())
    count(scenario, "A", 7)  # the warehouse counts what is really on the shelf
    a = stock(scenario, "A")
    # Before, the 3 shipped units stayed reserved: 7 - 3 = 4 available, 3 falsely short.
    assert (a.available("main"), a.shortfall("main")) == (7, 0)


def test_a_shipment_is_taken_once_whatever_status_repeats_or_follows() -> None:
    scenario = released()
    scenario.when(left())
    assert scenario.when(left()) == []  # the same news again
    assert scenario.when(left("in_transit")) == []
    assert scenario.when(left("delivered")) == []
    assert stock(scenario, "A").on_hand["main"] == 7


def test_the_first_status_that_says_it_left_takes_it() -> None:
    scenario = released()
    assert scenario.when(left("packed")) == []  # still in the warehouse
    assert stock(scenario, "A").reserved["main"] == 3
    (shipped,) = scenario.when(left("delivered"))  # the carrier skipped the hand-over
    assert isinstance(shipped, ev.StockShipped)
    assert stock(scenario, "A").on_hand["main"] == 7


def test_a_failed_delivery_as_the_first_status_left_the_warehouse() -> None:
    """Out for delivery, no one home: the parcel is off the shelf all the same (payment
    captures a held order's share then too)."""
    scenario = released()
    (shipped,) = scenario.when(left("delivery_failed"))
    assert isinstance(shipped, ev.StockShipped)
    a = stock(scenario, "A")
    assert (a.on_hand["main"], a.reserved["main"]) == (7, 0)
    assert scenario.when(left("delivered")) == []  # the second attempt: taken already


def test_one_shipment_of_two_leaves_the_other_held_and_a_cancellation_frees_only_that() -> None:
    scenario = released()
    scenario.when(left("handed_to_carrier", "S1", line("A", 2)))
    a = stock(scenario, "A")
    assert (a.on_hand["main"], a.reserved["main"]) == (8, 1)
    assert sorted(reservation(scenario, OID).held) == [("A", "main", 1), ("B", "main", 1)]
    (released_rest,) = scenario.when(
        ev.OrderCancelled(order_id=OID, reason="customer asked", cancelled_by="ola")
    )
    assert isinstance(released_rest, ev.StockReleased)
    assert sorted(released_rest.lines, key=lambda x: x.sku) == [line("A", 1), line("B", 1)]
    assert stock(scenario, "A").reserved["main"] == 0
    assert stock(scenario, "A").on_hand["main"] == 8


def test_a_fully_shipped_order_cancelled_gives_nothing_back() -> None:
    scenario = released()
    scenario.when(left())
    assert scenario.when(ev.OrderCancelled(order_id=OID, reason="late", cancelled_by="ola")) == [
        ev.StockReleased(order_id=OID, lines=[], reason="cancelled")
    ]
    assert stock(scenario, "A").reserved["main"] == 0


def test_events_without_lines_or_for_unknown_orders_change_nothing() -> None:
    scenario = released()
    old = ev.ShipmentStatusChanged(order_id=OID, shipment_id=f"{OID}-S1", status="delivered")
    assert scenario.when(old) == []
    stranger = left().model_copy(update={"order_id": "someone-else"})
    assert scenario.when(stranger) == []
    assert stock(scenario, "A").reserved["main"] == 3


def test_reconciliation_agrees_with_what_left() -> None:
    scenario = released()
    scenario.when(left("handed_to_carrier", "S1", line("A", 2)))
    report = reconcile.check(scenario.app)
    assert report.drift == []
    found: list[reconcile.Report] = []
    scenario.execute(reconcile.repair(scenario.app, found))
    assert found[-1].drift == []
    assert stock(scenario, "A").reserved["main"] == 1


def test_a_parcel_returned_to_sender_is_back_on_the_shelf_once() -> None:
    scenario = released()
    scenario.when(left("in_transit"))
    assert scenario.when(left("returned_to_sender")) == [
        ev.StockRestocked(order_id=OID, shipment_id=f"{OID}-S1", lines=[line("A", 3), line("B", 1)])
    ]
    a = stock(scenario, "A")
    assert (a.on_hand["main"], a.reserved["main"], a.available("main")) == (10, 0, 10)
    assert stock(scenario, "B").on_hand["main"] == 5
    assert scenario.when(left("returned_to_sender")) == []  # the carrier said it again
    assert stock(scenario, "A").on_hand["main"] == 10
    assert reservation(scenario, OID).held == []  # nothing held for a new attempt
    assert reconcile.check(scenario.app).drift == []


def test_a_returned_parcel_goes_back_to_the_warehouse_that_shipped_it() -> None:
    scenario = stocked(N=1)
    scenario.execute(set_stock_level("N", 5, "north"))
    order = order_of("ship-north", ("N", 2))
    scenario.when(validated(order))
    north = [line("N", 2, "north")]
    sid = f"{order.order_id}-S1"

    def status(name: ev.ShipmentStatus) -> ev.ShipmentStatusChanged:
        return ev.ShipmentStatusChanged(
            order_id=order.order_id, shipment_id=sid, status=name, lines=north
        )

    scenario.when(status("handed_to_carrier"))
    assert stock(scenario, "N").on_hand == {"main": 1, "north": 3}
    (restocked,) = scenario.when(status("returned_to_sender"))
    assert restocked == ev.StockRestocked(order_id=order.order_id, shipment_id=sid, lines=north)
    assert stock(scenario, "N").on_hand == {"main": 1, "north": 5}


def test_a_return_heard_of_before_its_departure_takes_it_and_puts_it_back() -> None:
    """Fulfillment sends a return only after a departure; should inventory see none, the
    hold still goes and the shelf ends as it was."""
    scenario = released()
    shipped, restocked = scenario.when(left("returned_to_sender"))
    assert isinstance(shipped, ev.StockShipped)
    assert isinstance(restocked, ev.StockRestocked)
    a = stock(scenario, "A")
    assert (a.on_hand["main"], a.reserved["main"]) == (10, 0)


def test_a_count_taken_before_the_parcel_came_back_and_applied_after_adds_it() -> None:
    scenario = Scenario(service)
    for sku, on_hand in (("A", 10), ("B", 5)):
        scenario.execute(set_stock_level(sku, on_hand, at=datetime(2025, 1, 1, tzinfo=UTC)))
    scenario.when(validated(ORDER))

    def at(status: ev.ShipmentStatus, day: int) -> ev.ShipmentStatusChanged:
        return left(status).model_copy(update={"time": datetime(2025, 1, day, 8, tzinfo=UTC)})

    scenario.when(at("handed_to_carrier", 2))
    scenario.when(at("returned_to_sender", 4))
    assert stock(scenario, "A").on_hand["main"] == 10
    counted(scenario, "A", 7, "2025-01-03T08:00:00Z")  # the shelf while the parcel was away
    assert stock(scenario, "A").on_hand["main"] == 10  # ... and the 3 that came back since
    counted(scenario, "A", 10, "2025-01-05T08:00:00Z")  # after: the count found them itself
    assert stock(scenario, "A").on_hand["main"] == 10
    assert scenario.dead_letters == []


def counted(scenario: Scenario, sku: str, on_hand: int, at: str) -> None:
    message = {"sku": sku, "warehouse": "main", "on_hand": on_hand, "counted_at": at}
    scenario.when_raw(STOCK_SYNC.name, json.dumps(message).encode())


def test_cancelling_an_order_whose_parcel_came_back_gives_back_nothing_twice() -> None:
    """Fulfillment cancels an order whose every parcel came back: the units are on the
    shelf already, and nothing is held for the order to release."""
    scenario = released()
    scenario.when(left("in_transit"))
    scenario.when(left("returned_to_sender"))
    cancelled = ev.OrderCancelled(order_id=OID, reason="customer moved away", cancelled_by="ola")
    # The reservation ends (the order's state says so), with nothing left to give back.
    assert scenario.when(cancelled) == [
        ev.StockReleased(order_id=OID, lines=[], reason="cancelled")
    ]
    a = stock(scenario, "A")
    assert (a.on_hand["main"], a.reserved["main"], a.available("main")) == (10, 0, 10)
    assert reconcile.check(scenario.app).drift == []


def test_cancelling_withdraws_the_parcel_still_held_and_keeps_the_returned_one() -> None:
    scenario = stocked(A=10, B=5)
    scenario.when(validated(ORDER))
    scenario.when(ev.OrderReadyForFulfillment(order_id=OID, lines=[line("A", 3), line("B", 1)]))
    scenario.when(left("handed_to_carrier", "S1", line("A", 3)))
    scenario.when(left("returned_to_sender", "S1", line("A", 3)))
    cancelled = ev.OrderCancelled(order_id=OID, reason="customer moved away", cancelled_by="ola")
    assert scenario.when(cancelled) == [
        ev.StockReleased(order_id=OID, lines=[line("B", 1)], reason="cancelled")
    ]
    assert stock(scenario, "A").available("main") == 10
    assert stock(scenario, "B").available("main") == 5
