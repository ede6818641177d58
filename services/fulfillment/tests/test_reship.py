"""Sending a parcel that came back to sender again: given an order whose parcel was returned,
when ticketing's ReshipRequested and inventory's StockReheld have both come (in either
order), then a new shipment replacing it is planned, once; and from then on the replacement
is the order's live parcel for carriers, /track, cancellation and returns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.order import Address, CanonicalOrder
from ordo_fulfillment.collection import RecordCollection
from ordo_fulfillment.domain import ReleaseGate
from ordo_fulfillment.returns import RefusedError, RequestReturn, ReturnLine, ReturnRequest
from ordo_runtime.testing import COMPANY_INVOICE, Scenario, sample_order
from services.fulfillment.tests.support import carrier, collected_by, released, two_lines
from services.fulfillment.tests.test_tracking import client

ORDER = two_lines()
OID = ORDER.order_id
OLD, NEW = f"{OID}-S1", f"{OID}-S2"
LINES = [ev.ReservedLine(sku="SKU-1", quantity=2), ev.ReservedLine(sku="SKU-2", quantity=1)]
CORRECTED = Address(line1="ul. Krótka 5", city="Kraków", postcode="30-001", country="PL")
WHY = "customer changed their mind"


def asked(
    shipment_id: str = OLD, address: Address | None = None, attempt: int = 1
) -> ev.ReshipRequested:
    return ev.ReshipRequested(
        order_id=OID,
        ticket_id="T-1",
        shipment_id=shipment_id,
        requested_by="ola",
        address=address,
        attempt=attempt,
    )


def reheld(shipment_id: str = OLD, attempt: int = 1) -> ev.StockReheld:
    return ev.StockReheld(order_id=OID, shipment_id=shipment_id, lines=LINES, attempt=attempt)


def came_back(order: CanonicalOrder = ORDER, shipment_id: str = OLD) -> Scenario:
    scenario = released(order)[0]
    send_back(scenario, shipment_id)
    return scenario


def send_back(scenario: Scenario, shipment_id: str) -> None:
    carrier(scenario, shipment_id=shipment_id, status="handed_to_carrier", carrier="inpost")
    carrier(
        scenario, shipment_id=shipment_id, status="returned_to_sender", time="2030-01-02T10:00:00Z"
    )


def planned(**fields: Any) -> ev.ShipmentPlanned:
    values: dict[str, Any] = {
        "order_id": OID,
        "shipment_id": NEW,
        "warehouse": "main",
        "lines": LINES,
        "address": ORDER.delivery.address,
        "replaces": OLD,
    }
    return ev.ShipmentPlanned(**(values | fields))


def version(scenario: Scenario, order_id: str = OID) -> int:
    gate: ReleaseGate = scenario.app.repository.get(ReleaseGate.create_id(order_id))
    return gate.version


def sent_again(scenario: Scenario | None = None, address: Address | None = None) -> Scenario:
    scenario = scenario or came_back()
    scenario.given(asked(address=address), reheld())
    return scenario


# --- planning the replacement ------------------------------------------------------------
def test_the_request_then_the_held_stock_plan_a_new_shipment_replacing_the_returned() -> None:
    scenario = came_back()
    assert scenario.when(asked()) == []
    assert scenario.when(reheld()) == [planned()]


def test_the_held_stock_then_the_request_plan_the_same() -> None:
    scenario = came_back()
    assert scenario.when(reheld()) == []
    assert scenario.when(asked()) == [planned()]


@pytest.mark.parametrize("first", ["request", "stock"])
def test_a_corrected_address_gets_a_courier_parcel_to_it(first: str) -> None:
    scenario = came_back()
    facts = [asked(address=CORRECTED), reheld()]
    if first == "stock":
        facts.reverse()
    assert scenario.when(facts[0]) == []
    assert scenario.when(facts[1]) == [planned(address=CORRECTED)]


def pickup_order() -> CanonicalOrder:
    return sample_order(
        external_id="W-pickup-reship",
        delivery={"method": "store_pickup", "pickup_point": "WAW-01", "collector": "Piotr Nowak"},
        invoice=COMPANY_INVOICE,
        lines=[{"sku": "SKU-1", "quantity": 2, "unit_price": "10.00"}],
    )


def pickup_came_back(address: Address | None = None) -> tuple[Scenario, list[ev.Event]]:
    order = pickup_order()
    old = f"{order.order_id}-S1"
    scenario = came_back(order, old)
    scenario.when(
        ev.ReshipRequested(
            order_id=order.order_id,
            ticket_id="T-2",
            shipment_id=old,
            requested_by="ola",
            address=address,
        )
    )
    lines = [ev.ReservedLine(sku="SKU-1", quantity=2)]
    return scenario, scenario.when(
        ev.StockReheld(order_id=order.order_id, shipment_id=old, lines=lines)
    )


def test_a_pickup_sent_again_goes_to_the_same_pickup_point_for_the_same_collector() -> None:
    _, events = pickup_came_back()
    order = pickup_order()
    assert events == [
        ev.ShipmentPlanned(
            order_id=order.order_id,
            shipment_id=f"{order.order_id}-S2",
            warehouse="main",
            lines=[ev.ReservedLine(sku="SKU-1", quantity=2)],
            pickup_point="WAW-01",
            collector="Piotr Nowak",
            replaces=f"{order.order_id}-S1",
        )
    ]


def test_a_pickup_sent_again_to_an_address_is_a_courier_parcel_no_one_collects() -> None:
    scenario, events = pickup_came_back(CORRECTED)
    order = pickup_order()
    (event,) = events
    assert isinstance(event, ev.ShipmentPlanned)
    assert (event.address, event.pickup_point, event.collector) == (CORRECTED, None, None)
    new = f"{order.order_id}-S2"
    carrier(scenario, shipment_id=new, status="in_transit", time="2030-01-04T10:00:00Z")
    body = collected_by("Piotr Nowak")
    with pytest.raises(RefusedError, match="not a pickup"):
        scenario.execute(RecordCollection(new, body, "staff"))


def test_a_pickup_sent_again_is_collected_naming_what_it_replaces() -> None:
    scenario, _ = pickup_came_back()
    order = pickup_order()
    new = f"{order.order_id}-S2"
    carrier(scenario, shipment_id=new, status="in_transit", time="2030-01-04T10:00:00Z")
    body = collected_by("Piotr Nowak")
    (collected,) = scenario.execute(RecordCollection(new, body, "staff"))
    assert isinstance(collected, ev.ShipmentStatusChanged)
    assert (collected.status, collected.replaces) == ("delivered", f"{order.order_id}-S1")


def test_the_replacement_of_a_split_order_takes_the_next_number_and_the_same_warehouse() -> None:
    scenario, _ = released(
        ORDER,
        ev.ReservedLine(sku="SKU-1", quantity=2, warehouse="waw"),
        ev.ReservedLine(sku="SKU-2", quantity=1, warehouse="krk"),
    )
    send_back(scenario, f"{OID}-S2")  # the waw parcel
    scenario.when(asked(f"{OID}-S2"))
    assert scenario.when(reheld(f"{OID}-S2")) == [
        planned(
            shipment_id=f"{OID}-S3",
            warehouse="waw",
            lines=[ev.ReservedLine(sku="SKU-1", quantity=2, warehouse="waw")],
            replaces=f"{OID}-S2",
        )
    ]


def test_a_replacement_that_came_back_too_is_sent_again_where_it_went() -> None:
    scenario = sent_again(address=CORRECTED)
    send_back(scenario, NEW)
    scenario.when(asked(NEW))
    assert scenario.when(reheld(NEW)) == [
        planned(shipment_id=f"{OID}-S3", address=CORRECTED, replaces=NEW)
    ]


def test_the_stock_held_for_a_request_sends_the_parcel_to_that_requests_address() -> None:
    scenario = came_back()
    scenario.when(asked())  # inventory answered it with a shortage
    assert scenario.when(asked(address=CORRECTED, attempt=2)) == []  # asked again, restocked
    assert scenario.when(reheld(attempt=2)) == [planned(address=CORRECTED)]


def test_stock_held_for_a_request_not_yet_here_waits_for_it_not_for_an_earlier_one() -> None:
    # Inventory's answer to the second request (ordo.inventory) may arrive before the request
    # itself (ordo.tickets): the first request, answered by a shortage, must not send it.
    scenario = came_back()
    scenario.when(asked())
    assert scenario.when(reheld(attempt=2)) == []
    assert scenario.when(asked(address=CORRECTED, attempt=2)) == [planned(address=CORRECTED)]


# --- refused: nothing written, nothing emitted -------------------------------------------
@pytest.mark.parametrize("fact", [asked(), reheld()])
def test_a_redelivered_fact_after_the_replacement_changes_nothing(fact: ev.Event) -> None:
    scenario = sent_again()
    before = version(scenario)
    assert scenario.when(fact) == []
    assert scenario.when(asked(address=CORRECTED)) == []  # nor a second request
    assert version(scenario) == before


@pytest.mark.parametrize("fact", [asked(), reheld()])
def test_a_fact_repeated_before_the_other_comes_changes_nothing(fact: ev.Event) -> None:
    scenario = came_back()
    scenario.when(fact)
    before = version(scenario)
    assert scenario.when(fact) == []
    assert version(scenario) == before


@pytest.mark.parametrize("fact", [asked(), reheld()])
def test_nothing_is_sent_again_for_a_cancelled_order(fact: ev.Event) -> None:
    scenario = came_back()
    request = ev.OrderCancellationRequested(order_id=OID, reason=WHY, requested_by="ola")
    assert scenario.when(request) == [
        ev.OrderCancelled(order_id=OID, reason=WHY, cancelled_by="ola")
    ]
    before = version(scenario)
    assert scenario.when(fact) == []
    assert scenario.when(reheld() if isinstance(fact, ev.ReshipRequested) else asked()) == []
    assert version(scenario) == before


def test_a_fact_noted_then_the_order_cancelled_sends_nothing() -> None:
    scenario = came_back()
    scenario.when(asked())
    scenario.when(ev.OrderCancellationRequested(order_id=OID, reason=WHY, requested_by="ola"))
    assert scenario.when(reheld()) == []


@pytest.mark.parametrize("status", [None, "packed", "in_transit", "delivered"])
def test_a_parcel_that_did_not_come_back_is_not_sent_again(status: str | None) -> None:
    scenario = released(ORDER)[0]
    if status:
        carrier(scenario, shipment_id=OLD, status=status)
    before = version(scenario)
    assert scenario.when(asked()) == []
    assert scenario.when(reheld()) == []
    assert version(scenario) == before


def test_an_unknown_shipment_or_order_is_not_sent_again() -> None:
    scenario = came_back()
    before = version(scenario)
    assert scenario.when(asked(f"{OID}-S9")) == []
    assert scenario.when(reheld(f"{OID}-S9")) == []
    assert version(scenario) == before
    unknown = ev.StockReheld(order_id="no-such-order", shipment_id="no-such-order-S1", lines=[])
    assert scenario.when(unknown) == []
    assert ReleaseGate.create_id("no-such-order") not in scenario.app.repository


# --- the replacement is the live parcel --------------------------------------------------
def test_carrier_updates_of_the_replacement_name_the_parcel_it_replaces() -> None:
    scenario = sent_again()
    events = carrier(
        scenario,
        shipment_id=NEW,
        status="handed_to_carrier",
        carrier="dpd",
        tracking_number="TN-NEW",
        time="2030-01-04T10:00:00Z",
    )
    assert events == [
        ev.ShipmentStatusChanged(
            order_id=OID,
            shipment_id=NEW,
            status="handed_to_carrier",
            carrier="dpd",
            tracking_number="TN-NEW",
            lines=LINES,
            time=datetime(2030, 1, 4, 10, tzinfo=UTC),
            replaces=OLD,
        )
    ]
    (later,) = carrier(
        scenario, tracking_number="TN-NEW", status="delivered", time="2030-01-05T10:00:00Z"
    )
    assert isinstance(later, ev.ShipmentStatusChanged)
    assert (later.shipment_id, later.status, later.replaces) == (NEW, "delivered", OLD)


def test_track_shows_the_order_delivered_once_the_replacement_is() -> None:
    scenario = sent_again()
    track = client(scenario).get("/track/W-2", params={"postcode": "00-001"}).json()
    assert track["status"] == "preparing"  # the parcel that came back is done with
    carrier(scenario, shipment_id=NEW, status="handed_to_carrier", time="2030-01-04T10:00:00Z")
    carrier(scenario, shipment_id=NEW, status="delivered", time="2030-01-05T10:00:00Z")
    track = client(scenario).get("/track/W-2", params={"postcode": "00-001"}).json()
    assert track["status"] == "delivered"
    shown = {
        s["shipment_id"]: (s["status"], s["replaces"], s["replaced_by"]) for s in track["shipments"]
    }
    assert shown == {
        OLD: ("returned_to_sender", None, NEW),
        NEW: ("delivered", OLD, None),
    }


def test_track_takes_the_corrected_addresss_postcode_too() -> None:
    scenario = sent_again(address=CORRECTED)
    api = client(scenario)
    assert api.get("/track/W-2", params={"postcode": "30-001"}).status_code == 200
    assert api.get("/track/W-2", params={"postcode": "00-001"}).status_code == 200
    assert api.get("/track/W-2", params={"postcode": "99-999"}).status_code == 404
    assert CORRECTED.line1 not in api.get("/track/W-2", params={"postcode": "30-001"}).text


def test_a_cancellation_withdraws_a_replacement_not_handed_over() -> None:
    scenario = sent_again()
    request = ev.OrderCancellationRequested(order_id=OID, reason=WHY, requested_by="ola")
    assert scenario.when(request) == [
        ev.OrderCancelled(order_id=OID, reason=WHY, cancelled_by="ola"),
        # Its lines, so inventory frees the units it held again.
        ev.ShipmentWithdrawn(
            order_id=OID, shipment_id=NEW, lines=LINES, reason=f"order cancelled: {WHY}"
        ),
    ]
    track = client(scenario).get("/track/W-2", params={"postcode": "00-001"}).json()
    assert track["status"] == "cancelled"


def test_a_cancellation_once_the_replacement_left_is_refused_naming_it() -> None:
    scenario = sent_again()
    carrier(scenario, shipment_id=NEW, status="handed_to_carrier", time="2030-01-04T10:00:00Z")
    request = ev.OrderCancellationRequested(order_id=OID, reason=WHY, requested_by="ola")
    assert scenario.when(request) == [
        ev.OrderCancellationRefused(order_id=OID, reason=WHY, requested_by="ola", shipments=[NEW])
    ]


def ask_back(scenario: Scenario, quantity: int) -> list[ev.Event]:
    body = ReturnRequest(
        lines=[ReturnLine(sku="SKU-1", quantity=quantity)], reason="does not fit", by="customer"
    )
    return scenario.execute(RequestReturn(OID, body))


def test_goods_the_replacement_delivered_can_be_returned_once() -> None:
    scenario = sent_again()
    with pytest.raises(RefusedError, match="nothing of it has been shipped"):
        ask_back(scenario, 1)  # the returned parcel's goods are on the shelf, not out there
    carrier(scenario, shipment_id=NEW, status="delivered", time="2030-01-05T10:00:00Z")
    with pytest.raises(RefusedError, match="3 asked back, but 2 shipped"):
        ask_back(scenario, 3)  # the first parcel's units are not counted twice
    (requested,) = ask_back(scenario, 2)
    assert isinstance(requested, ev.ReturnRequested)
    assert requested.lines == [ev.ReservedLine(sku="SKU-1", quantity=2)]
