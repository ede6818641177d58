"""Given a parcel that came back to sender -> when an operator asks for it to be sent again
(ReshipRequested) -> then its units are held for the order again, all or nothing, in the
warehouse each came back to (StockReheld), or nothing is held (ReshipShortage); the parcel
sent in its place takes them off the shelf when it leaves, and a cancellation gives them back."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_inventory import reconcile
from ordo_inventory.domain import Reservation
from ordo_inventory.expiry import ExpirySweep
from ordo_inventory.handlers import set_stock_level, touched
from ordo_inventory.settings import InventorySettings
from ordo_runtime.testing import InMemoryRuntime, Scenario
from services.inventory.tests.support import line, order_of, reservation, stock, stocked, validated

ORDER = order_of("reship-1", ("A", 3), ("B", 1))
OID = ORDER.order_id
FIRST, SECOND = f"{OID}-S1", f"{OID}-S2"
LINES = [line("A", 3), line("B", 1)]


def status(
    name: ev.ShipmentStatus, shipment: str = FIRST, replaces: str | None = None
) -> ev.ShipmentStatusChanged:
    return ev.ShipmentStatusChanged(
        order_id=OID, shipment_id=shipment, status=name, lines=LINES, replaces=replaces
    )


def asked(shipment: str = FIRST, ticket: str = "T-1") -> ev.ReshipRequested:
    return ev.ReshipRequested(
        order_id=OID, ticket_id=ticket, shipment_id=shipment, requested_by="ola"
    )


def on_its_way() -> Scenario:
    """Released for fulfilment and shipped from 10 A and 5 B: its units off the shelf."""
    return stocked(A=10, B=5).given(
        validated(ORDER),
        ev.OrderReadyForFulfillment(order_id=OID, lines=LINES),
        status("in_transit"),
    )


def came_back() -> Scenario:
    """Released for fulfilment, shipped, and brought back by the carrier: 10 A and 5 B on
    the shelf again, nothing held."""
    return on_its_way().given(status("returned_to_sender"))


def figures(scenario: Scenario, sku: str) -> tuple[int, int, int]:
    found = stock(scenario, sku)
    return found.on_hand["main"], found.reserved.get("main", 0), found.available("main")


def test_a_returned_parcel_asked_to_go_again_is_held_again() -> None:
    scenario = came_back()
    assert scenario.when(asked()) == [ev.StockReheld(order_id=OID, shipment_id=FIRST, lines=LINES)]
    assert figures(scenario, "A") == (10, 3, 7)
    assert figures(scenario, "B") == (5, 1, 4)
    held = reservation(scenario, OID)
    assert (held.held_of("A", "main"), held.held_of("B", "main")) == (3, 1)
    assert reconcile.check(scenario.app).drift == []


def test_units_are_held_again_in_the_warehouse_they_came_back_to() -> None:
    scenario = stocked(N=1)
    scenario.execute(set_stock_level("N", 5, "north"))
    order = order_of("reship-north", ("N", 2))
    sid = f"{order.order_id}-S1"
    north = [line("N", 2, "north")]

    def at(name: ev.ShipmentStatus) -> ev.ShipmentStatusChanged:
        return ev.ShipmentStatusChanged(
            order_id=order.order_id, shipment_id=sid, status=name, lines=north
        )

    scenario.given(validated(order), at("handed_to_carrier"), at("returned_to_sender"))
    scenario.execute(set_stock_level("N", 5))  # main, the preferred warehouse, could cover it now
    request = ev.ReshipRequested(
        order_id=order.order_id, ticket_id="T-9", shipment_id=sid, requested_by="ola"
    )
    assert scenario.when(request) == [
        ev.StockReheld(order_id=order.order_id, shipment_id=sid, lines=north)
    ]
    assert stock(scenario, "N").reserved == {"north": 2}
    assert reservation(scenario, order.order_id).held_of("N", "north") == 2


def test_units_sold_meanwhile_hold_nothing_and_a_request_after_a_restock_holds_them() -> None:
    scenario = came_back()
    scenario.when(validated(order_of("someone-else", ("A", 8))))  # 2 of A left free
    assert scenario.when(asked()) == [
        ev.ReshipShortage(
            order_id=OID,
            shipment_id=FIRST,
            missing=[ev.MissingStock(sku="A", requested=3, available=2, warehouse="main")],
        )
    ]
    assert figures(scenario, "A") == (10, 8, 2)
    assert figures(scenario, "B") == (5, 0, 5)  # all or nothing: B covered, yet not held
    assert reservation(scenario, OID).held == []

    scenario.execute(set_stock_level("A", 11))  # the operator restocked, and asks again
    assert scenario.when(asked(ticket="T-2")) == [
        ev.StockReheld(order_id=OID, shipment_id=FIRST, lines=LINES)
    ]
    assert figures(scenario, "A") == (11, 11, 0)
    assert figures(scenario, "B") == (5, 1, 4)


def test_a_shortage_names_the_warehouse_short_not_a_sum_over_the_ones_that_are_not() -> None:
    scenario = stocked(S=3)
    scenario.execute(set_stock_level("S", 2, "north"))
    order = order_of("reship-split", ("S", 5))  # 3 from main, 2 from north
    oid, sid = order.order_id, f"{order.order_id}-S1"
    split = [line("S", 3), line("S", 2, "north")]

    def at(name: ev.ShipmentStatus) -> ev.ShipmentStatusChanged:
        return ev.ShipmentStatusChanged(order_id=oid, shipment_id=sid, status=name, lines=split)

    scenario.given(validated(order), at("in_transit"), at("returned_to_sender"))
    scenario.execute(set_stock_level("S", 1, "north"))  # one of north's two sold meanwhile
    request = ev.ReshipRequested(order_id=oid, ticket_id="T-5", shipment_id=sid, requested_by="ola")
    assert scenario.when(request) == [
        ev.ReshipShortage(
            order_id=oid,
            shipment_id=sid,
            missing=[ev.MissingStock(sku="S", requested=2, available=1, warehouse="north")],
        )
    ]


def test_a_request_heard_before_the_return_is_acted_on_when_the_return_arrives() -> None:
    scenario = on_its_way()
    assert scenario.when(asked()) == []  # the return is still on its way to us
    assert scenario.when(asked()) == []  # and asked again meanwhile: remembered once
    assert figures(scenario, "A") == (7, 0, 7)
    assert reservation(scenario, OID).reship_attempts == {FIRST: 1}
    assert scenario.when(status("returned_to_sender")) == [
        ev.StockRestocked(order_id=OID, shipment_id=FIRST, lines=LINES),
        ev.StockReheld(order_id=OID, shipment_id=FIRST, lines=LINES),
    ]
    assert figures(scenario, "A") == (10, 3, 7)
    assert scenario.when(asked()) == []  # held already
    assert figures(scenario, "A") == (10, 3, 7)


def test_the_same_request_delivered_again_holds_nothing_more() -> None:
    scenario = came_back()
    request = Envelope(data=asked(), source="/test")
    assert len(scenario.when(request)) == 1
    assert scenario.when(request) == []  # the same record again
    assert scenario.when(asked(ticket="T-2")) == []  # asked twice for the same parcel
    assert scenario.when(status("returned_to_sender")) == []  # the carrier said it again
    assert figures(scenario, "A") == (10, 3, 7)
    assert reservation(scenario, OID).reheld == [FIRST]


def test_the_parcel_sent_in_its_place_takes_the_units_off_the_shelf_when_it_leaves() -> None:
    scenario = came_back()
    scenario.when(asked())
    assert scenario.when(status("handed_to_carrier", SECOND, replaces=FIRST)) == [
        ev.StockShipped(order_id=OID, shipment_id=SECOND, lines=LINES)
    ]
    assert figures(scenario, "A") == (7, 0, 7)
    assert figures(scenario, "B") == (4, 0, 4)
    assert reservation(scenario, OID).held == []
    assert scenario.when(status("delivered", SECOND, replaces=FIRST)) == []
    assert figures(scenario, "A") == (7, 0, 7)
    assert reconcile.check(scenario.app).drift == []


def test_a_cancellation_gives_back_the_units_held_again() -> None:
    scenario = came_back()
    scenario.when(asked())
    cancelled = ev.OrderCancelled(order_id=OID, reason="customer moved", cancelled_by="ola")
    assert scenario.when(cancelled) == [
        ev.StockReleased(order_id=OID, lines=LINES, reason="cancelled")
    ]
    assert figures(scenario, "A") == (10, 0, 10)
    assert figures(scenario, "B") == (5, 0, 5)
    assert reconcile.check(scenario.app).drift == []


def test_a_cancelled_order_holds_nothing_and_says_nothing() -> None:
    scenario = came_back()
    scenario.when(ev.OrderCancelled(order_id=OID, reason="refund", cancelled_by="ola"))
    assert scenario.when(asked()) == []
    assert figures(scenario, "A") == (10, 0, 10)


def test_a_request_waiting_for_a_cancelled_order_holds_nothing_when_the_parcel_returns() -> None:
    scenario = stocked(A=10, B=5)
    scenario.given(validated(ORDER), status("in_transit"), asked())
    scenario.when(ev.OrderCancelled(order_id=OID, reason="refund", cancelled_by="ola"))
    assert scenario.when(status("returned_to_sender")) == [
        ev.StockRestocked(order_id=OID, shipment_id=FIRST, lines=LINES)
    ]
    assert figures(scenario, "A") == (10, 0, 10)


def test_a_parcel_noted_before_its_lines_were_kept_cannot_be_held_again() -> None:
    """A SentBack stored by the version that kept only the shipment's id still replays; its
    parcel is answered with a shortage naming nothing, for an operator to decide."""
    scenario = on_its_way()
    held = reservation(scenario, OID)
    legacy = Reservation.SentBack(  # type: ignore[attr-defined]
        originator_id=held.id,
        originator_version=held.version + 1,
        timestamp=datetime.now(UTC),
        shipment_id=FIRST,
        lines=None,
    )
    object.__delattr__(legacy, "lines")  # as the old version stored it: no such field
    scenario.app.recorder.insert_events([scenario.app.mapper.to_stored_event(legacy)])
    scenario.app.forget([held.id])
    assert reservation(scenario, OID).sent_back == [FIRST]
    assert scenario.when(asked()) == [
        ev.ReshipShortage(order_id=OID, shipment_id=FIRST, missing=[])
    ]
    assert figures(scenario, "A") == (7, 0, 7)


def test_units_held_again_never_expire() -> None:
    """Should the news that the order was released for fulfilment not have reached us, the
    order's first hold is still waiting to expire: holding the units again settles the
    reservation, so the sweep cannot take them."""
    scenario = stocked(A=10, B=5)
    prepaid = order_of("reship-1", ("A", 3), ("B", 1), payment={"method": "prepaid"})
    scenario.given(validated(prepaid), status("in_transit"), status("returned_to_sender"))
    assert len(scenario.when(asked())) == 1
    sweeper = ExpirySweep(InMemoryRuntime(scenario), InventorySettings(hold_ttl_s=60.0))
    assert asyncio.run(sweeper.sweep(now=time.time() + 600)) == 0
    assert figures(scenario, "A") == (10, 3, 7)


def test_a_request_prefetches_its_reservation() -> None:
    assert touched(asked()) == [Reservation.create_id(OID)]


def test_each_answer_names_the_request_it_answers() -> None:
    scenario = came_back()
    scenario.when(validated(order_of("someone-else", ("A", 8))))  # 2 of A left free
    first, second = asked(), asked(ticket="T-1").model_copy(update={"attempt": 2})
    (short,) = scenario.when(first)
    assert isinstance(short, ev.ReshipShortage)
    assert short.attempt == 1
    scenario.execute(set_stock_level("A", 11))
    (held,) = scenario.when(second)
    assert isinstance(held, ev.StockReheld)
    assert held.attempt == 2


def test_a_request_heard_before_the_return_is_answered_by_its_number() -> None:
    scenario = on_its_way()
    assert scenario.when(asked().model_copy(update={"attempt": 3})) == []
    assert scenario.when(status("returned_to_sender")) == [
        ev.StockRestocked(order_id=OID, shipment_id=FIRST, lines=LINES),
        ev.StockReheld(order_id=OID, shipment_id=FIRST, lines=LINES, attempt=3),
    ]
