"""Cancellation, decided by the release gate: given what the gate knows of an order's
shipments, when an operator's request arrives, then the order is cancelled (its shipments
withdrawn, never released after) or, once goods left, refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ordo_events import events as ev
from ordo_fulfillment.app import service
from ordo_fulfillment.collection import RecordCollection
from ordo_fulfillment.returns import RefusedError
from ordo_runtime.testing import Scenario, sample_order
from services.fulfillment.tests.support import carrier, collected_by, released, two_lines
from services.fulfillment.tests.test_tracking import client

ORDER = two_lines()
OID = ORDER.order_id
SID = f"{OID}-S1"
WHY = "customer changed their mind"
REQUEST = ev.OrderCancellationRequested(order_id=OID, reason=WHY, requested_by="ola")
CANCELLED = ev.OrderCancelled(order_id=OID, reason=WHY, cancelled_by="ola")
LINES = [ev.ReservedLine(sku="SKU-1", quantity=2), ev.ReservedLine(sku="SKU-2", quantity=1)]
VALIDATED = ev.OrderValidated(order_id=OID, order=ORDER)
RESERVED = ev.StockReserved(order_id=OID, lines=LINES)
PAID = ev.CashOnDeliveryAccepted(order_id=OID, amount=ORDER.total, currency="PLN")
# The channel's changed version of the order: one more of SKU-2.
REVISED = ev.OrderRevised(
    order_id=OID,
    order=sample_order(
        external_id="W-2",
        lines=[
            {"sku": "SKU-1", "quantity": 2, "unit_price": "10.00"},
            {"sku": "SKU-2", "quantity": 2, "unit_price": "25.50"},
        ],
    ),
)


def withdrawn(shipment_id: str = SID) -> ev.ShipmentWithdrawn:
    return ev.ShipmentWithdrawn(
        order_id=OID, shipment_id=shipment_id, lines=LINES, reason=f"order cancelled: {WHY}"
    )


def test_a_request_before_release_cancels_and_nothing_releases_the_order_after() -> None:
    scenario = Scenario(service).given(VALIDATED, RESERVED)
    assert scenario.when(REQUEST) == [CANCELLED]
    assert scenario.when(PAID) == []
    assert scenario.when(ev.OrderValidated(order_id=OID, order=ORDER, attempt=2)) == []
    assert scenario.when(RESERVED) == []


def test_a_request_for_an_order_not_heard_of_yet_cancels_it_before_its_facts_arrive() -> None:
    scenario = Scenario(service)
    assert scenario.when(REQUEST) == [CANCELLED]
    for fact in (VALIDATED, RESERVED, PAID, REVISED):
        assert scenario.when(fact) == []


def test_a_released_order_not_handed_over_is_cancelled_and_its_shipments_withdrawn() -> None:
    scenario, _ = released(ORDER)
    carrier(scenario, shipment_id=SID, status="packed")
    assert scenario.when(REQUEST) == [CANCELLED, withdrawn()]
    track = client(scenario).get("/track/W-2", params={"postcode": "00-001"}).json()
    assert track["status"] == "cancelled"
    steps = [step["status"] for step in track["shipments"][0]["timeline"]]
    assert steps == ["planned", "packed", "withdrawn"]


def test_every_shipment_of_a_split_order_is_withdrawn() -> None:
    scenario, _ = released(
        ORDER,
        ev.ReservedLine(sku="SKU-1", quantity=2, warehouse="waw"),
        ev.ReservedLine(sku="SKU-2", quantity=1, warehouse="krk"),
    )
    events = scenario.when(REQUEST)
    assert events[0] == CANCELLED
    assert [
        (e.shipment_id, e.lines) for e in events[1:] if isinstance(e, ev.ShipmentWithdrawn)
    ] == [
        (f"{OID}-S1", [ev.ReservedLine(sku="SKU-2", quantity=1, warehouse="krk")]),
        (f"{OID}-S2", [ev.ReservedLine(sku="SKU-1", quantity=2, warehouse="waw")]),
    ]


@pytest.mark.parametrize("status", ["handed_to_carrier", "in_transit", "delivery_failed"])
def test_a_request_after_goods_left_is_refused_naming_the_shipments(status: str) -> None:
    scenario, _ = released(ORDER)
    carrier(scenario, shipment_id=SID, status=status)
    assert scenario.when(REQUEST) == [
        ev.OrderCancellationRefused(order_id=OID, reason=WHY, requested_by="ola", shipments=[SID])
    ]
    # Refused, the order goes on as it was: the gate still follows its parcel.
    later = carrier(scenario, shipment_id=SID, status="delivered", time="2030-01-03T10:00:00Z")
    assert [e.status for e in later if isinstance(e, ev.ShipmentStatusChanged)] == ["delivered"]


def test_an_order_whose_parcel_came_back_can_be_cancelled() -> None:
    scenario, _ = released(ORDER)
    carrier(scenario, shipment_id=SID, status="handed_to_carrier")
    carrier(scenario, shipment_id=SID, status="returned_to_sender", time="2030-01-02T10:00:00Z")
    # Nothing to withdraw: the parcel is back on the shelf, and stays returned.
    assert scenario.when(REQUEST) == [CANCELLED]
    track = client(scenario).get("/track/W-2", params={"postcode": "00-001"}).json()
    assert track["status"] == "cancelled"
    assert track["shipments"][0]["timeline"][-1]["status"] == "returned_to_sender"


def split(statuses: dict[str, str]) -> tuple[Scenario, list[ev.Event]]:
    """A request for an order split in two, after the carrier's word on each parcel."""
    scenario, _ = released(
        ORDER,
        ev.ReservedLine(sku="SKU-1", quantity=2, warehouse="waw"),
        ev.ReservedLine(sku="SKU-2", quantity=1, warehouse="krk"),
    )
    for shipment_id, status in statuses.items():
        carrier(scenario, shipment_id=shipment_id, status="handed_to_carrier")
        if status != "handed_to_carrier":
            carrier(scenario, shipment_id=shipment_id, status=status, time="2030-01-02T10:00:00Z")
    return scenario, scenario.when(REQUEST)


def test_a_parcel_back_and_one_still_in_the_warehouse_cancel_withdrawing_that_one() -> None:
    scenario, events = split({f"{OID}-S1": "returned_to_sender"})
    assert events[0] == CANCELLED
    assert [e.shipment_id for e in events[1:] if isinstance(e, ev.ShipmentWithdrawn)] == [
        f"{OID}-S2"
    ]
    track = client(scenario).get("/track/W-2", params={"postcode": "00-001"}).json()
    assert track["status"] == "cancelled"  # one parcel back, the other never left


@pytest.mark.parametrize("status", ["in_transit", "delivered"])
def test_a_parcel_back_does_not_let_one_still_out_there_be_cancelled(status: str) -> None:
    _, events = split({f"{OID}-S1": "returned_to_sender", f"{OID}-S2": status})
    assert events == [
        ev.OrderCancellationRefused(
            order_id=OID, reason=WHY, requested_by="ola", shipments=[f"{OID}-S2"]
        )
    ]


def test_a_repeated_request_changes_nothing() -> None:
    scenario, _ = released(ORDER)
    assert scenario.when(REQUEST) == [CANCELLED, withdrawn()]
    again = ev.OrderCancellationRequested(order_id=OID, reason="asked twice", requested_by="piotr")
    assert scenario.when(again) == []


def test_a_hand_over_after_the_withdrawal_is_recorded_not_lost() -> None:
    scenario, _ = released(ORDER)
    scenario.when(REQUEST)
    assert carrier(scenario, shipment_id=SID, status="packed") == []  # the withdrawal stands
    left = carrier(scenario, shipment_id=SID, status="handed_to_carrier", carrier="inpost")
    assert left == [
        ev.ShipmentStatusChanged(
            order_id=OID,
            shipment_id=SID,
            status="handed_to_carrier",
            carrier="inpost",
            lines=LINES,
            time=datetime(2030, 1, 1, 10, tzinfo=UTC),
        )
    ]
    track = client(scenario).get("/track/W-2", params={"postcode": "00-001"}).json()
    assert track["status"] == "shipped"  # the customer can follow the parcel they will get
    assert scenario.when(REQUEST) == []  # cancelled it stays


def test_a_withdrawn_pickup_cannot_be_collected() -> None:
    order = sample_order(
        external_id="W-pickup-cancel",
        delivery={"method": "store_pickup", "pickup_point": "WAW-01"},
        lines=[{"sku": "SKU-1", "quantity": 1, "unit_price": "10.00"}],
    )
    scenario, _ = released(order)
    sid = f"{order.order_id}-S1"
    carrier(scenario, shipment_id=sid, status="packed")
    request = ev.OrderCancellationRequested(order_id=order.order_id, reason=WHY, requested_by="ola")
    scenario.when(request)
    body = collected_by("Jan Kowalski")
    with pytest.raises(RefusedError, match="withdrawn: its order was cancelled"):
        scenario.execute(RecordCollection(sid, body, "staff"))


def test_a_payment_or_revision_after_a_cancellation_after_release_changes_nothing() -> None:
    scenario, _ = released(ORDER)
    scenario.when(REQUEST)
    paid = ev.PaymentAuthorized(
        order_id=OID, amount=Decimal("45.50"), currency="PLN", provider_ref="x"
    )
    assert scenario.when(paid) == []
    assert scenario.when(REVISED) == []  # not even a ticket's OrderRevisedAfterRelease
