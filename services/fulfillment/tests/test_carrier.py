"""Carrier updates on ordo.carrier.events: statuses move on, repeats and stale ones change
nothing, and what cannot be right is dead-lettered with its reason, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

from ordo_events import events as ev
from ordo_events.topics import CARRIER_EVENTS
from ordo_runtime.testing import Scenario
from services.fulfillment.tests.support import carrier, released, two_lines

ORDER = two_lines()
SID = f"{ORDER.order_id}-S1"


def shipped() -> Scenario:
    return released(ORDER)[0]


def reasons(scenario: Scenario) -> list[str]:
    return [dict(ln.kafka_headers())["dlq_reason"].decode() for ln in scenario.dead_letters]


def test_a_status_from_the_carrier_changes_the_shipment() -> None:
    scenario = shipped()
    events = carrier(
        scenario,
        shipment_id=SID,
        status="handed_to_carrier",
        carrier="inpost",
        tracking_number="TN-1",
    )
    assert events == [
        ev.ShipmentStatusChanged(
            order_id=ORDER.order_id,
            shipment_id=SID,
            status="handed_to_carrier",
            carrier="inpost",
            tracking_number="TN-1",
            # What left, so inventory can take it off its reservation.
            lines=[
                ev.ReservedLine(sku="SKU-1", quantity=2),
                ev.ReservedLine(sku="SKU-2", quantity=1),
            ],
            # When, by the carrier's clock: inventory tells it from a stock count by it.
            time=datetime(2030, 1, 1, 10, tzinfo=UTC),
        )
    ]


def test_later_updates_may_name_only_the_tracking_number() -> None:
    scenario = shipped()
    carrier(
        scenario,
        shipment_id=SID,
        status="handed_to_carrier",
        carrier="inpost",
        tracking_number="TN-2",
    )
    (event,) = carrier(
        scenario, tracking_number="TN-2", status="delivered", time="2030-01-02T09:00:00Z"
    )
    assert isinstance(event, ev.ShipmentStatusChanged)
    assert (event.shipment_id, event.status, event.carrier) == (SID, "delivered", "inpost")


def test_a_repeated_status_changes_nothing() -> None:
    scenario = shipped()
    carrier(scenario, shipment_id=SID, status="in_transit")
    assert carrier(scenario, shipment_id=SID, status="in_transit") == []
    assert scenario.dead_letters == []


def test_in_transit_after_delivered_is_stale_and_dropped() -> None:
    scenario = shipped()
    carrier(scenario, shipment_id=SID, status="delivered", time="2030-01-03T10:00:00Z")
    assert (
        carrier(scenario, shipment_id=SID, status="in_transit", time="2030-01-02T10:00:00Z") == []
    )
    assert scenario.dead_letters == []


def test_an_update_older_than_the_current_one_is_dropped() -> None:
    scenario = shipped()
    carrier(scenario, shipment_id=SID, status="in_transit", time="2030-01-02T10:00:00Z")
    late = carrier(scenario, shipment_id=SID, status="delivery_failed", time="2030-01-01T10:00:00Z")
    assert late == []


def test_a_failed_delivery_can_be_tried_again() -> None:
    scenario = shipped()
    carrier(scenario, shipment_id=SID, status="delivery_failed", time="2030-01-02T10:00:00Z")
    again = carrier(scenario, shipment_id=SID, status="in_transit", time="2030-01-03T10:00:00Z")
    assert [e.status for e in again if isinstance(e, ev.ShipmentStatusChanged)] == ["in_transit"]


def test_a_redelivered_record_changes_nothing() -> None:
    scenario = shipped()
    carrier(scenario, shipment_id=SID, status="packed")
    value = (
        b'{"shipment_id": "%s", "status": "packed", "time": "2030-01-01T10:00:00Z"}' % SID.encode()
    )
    assert scenario.deliver(CARRIER_EVENTS.name, value, [], offset=0) == []


def test_what_cannot_be_right_is_dead_lettered_with_its_reason() -> None:
    scenario = shipped()
    assert scenario.when_raw(CARRIER_EVENTS.name, b"{not json") == []
    assert carrier(scenario, shipment_id="nope-S1", status="packed") == []
    assert carrier(scenario, tracking_number="UNKNOWN", status="packed") == []
    assert carrier(scenario, shipment_id=SID, status="lost") == []
    assert carrier(scenario, status="packed") == []
    # the consumer went on: a good update after the bad ones still applies
    assert len(carrier(scenario, shipment_id=SID, status="delivered")) == 1
    contradiction = carrier(
        scenario, shipment_id=SID, status="delivery_failed", time="2030-02-01T00:00:00Z"
    )
    assert contradiction == []
    found = reasons(scenario)
    assert len(found) == 6
    assert "not a carrier update" in found[0]
    assert "no shipment 'nope-S1'" in found[1]
    assert "no shipment with tracking number 'UNKNOWN'" in found[2]
    assert "status" in found[3]
    assert "names no shipment" in found[4]
    assert "delivery_failed after delivered" in found[5]


def test_a_parcel_returned_to_sender_after_it_left_is_accepted_with_what_it_carried() -> None:
    scenario = shipped()
    carrier(scenario, shipment_id=SID, status="in_transit", tracking_number="TN-R")
    (back,) = carrier(
        scenario,
        tracking_number="TN-R",
        status="returned_to_sender",
        note="refused by the recipient",
        time="2030-01-05T10:00:00Z",
    )
    assert back == ev.ShipmentStatusChanged(
        order_id=ORDER.order_id,
        shipment_id=SID,
        status="returned_to_sender",
        tracking_number="TN-R",
        note="refused by the recipient",
        # What came back, so inventory puts it on the shelf again.
        lines=[ev.ReservedLine(sku="SKU-1", quantity=2), ev.ReservedLine(sku="SKU-2", quantity=1)],
        time=datetime(2030, 1, 5, 10, tzinfo=UTC),
    )


def test_a_failed_delivery_or_a_hand_over_may_end_in_a_return_to_sender() -> None:
    for before in ("delivery_failed", "handed_to_carrier"):
        scenario = shipped()
        carrier(scenario, shipment_id=SID, status=before)
        back = carrier(
            scenario, shipment_id=SID, status="returned_to_sender", time="2030-01-02T10:00:00Z"
        )
        assert [e.status for e in back if isinstance(e, ev.ShipmentStatusChanged)] == [
            "returned_to_sender"
        ]


def test_a_repeated_return_to_sender_changes_nothing_and_it_is_final() -> None:
    scenario = shipped()
    carrier(scenario, shipment_id=SID, status="in_transit")
    carrier(scenario, shipment_id=SID, status="returned_to_sender", time="2030-01-02T10:00:00Z")
    again = carrier(
        scenario, shipment_id=SID, status="returned_to_sender", time="2030-01-03T10:00:00Z"
    )
    assert again == []
    # On its way back the carrier may still scan it in transit: the parcel stays returned.
    assert carrier(scenario, shipment_id=SID, status="in_transit", time="2030-01-04T00:00Z") == []
    assert scenario.dead_letters == []


def test_a_return_to_sender_contradicting_the_record_is_dead_lettered_with_its_reason() -> None:
    delivered = shipped()
    carrier(delivered, shipment_id=SID, status="delivered")
    late = carrier(
        delivered, shipment_id=SID, status="returned_to_sender", time="2030-01-02T10:00:00Z"
    )
    assert late == []
    (reason,) = reasons(delivered)
    assert "returned_to_sender after delivered: the carrier contradicts its own delivery" in reason

    returned = shipped()
    carrier(returned, shipment_id=SID, status="in_transit")
    carrier(returned, shipment_id=SID, status="returned_to_sender", time="2030-01-02T10:00:00Z")
    assert carrier(returned, shipment_id=SID, status="delivered", time="2030-01-03T10:00Z") == []
    (reason,) = reasons(returned)
    assert "delivered after returned_to_sender: the parcel is back with the sender" in reason

    packed = shipped()
    carrier(packed, shipment_id=SID, status="packed")
    assert carrier(packed, shipment_id=SID, status="returned_to_sender") == []
    (reason,) = reasons(packed)
    assert "returned_to_sender while the shipment is packed: it never left the warehouse" in reason
