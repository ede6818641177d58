"""Each way an order is settled, on the real stack: orders through ingestion, the provider's
webhook, the carriers' feed, and the shipment, cancellation and return events published as
fulfillment publishes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import CanonicalOrder
from ordo_events.topics import FULFILLMENT, PAYMENT, topic_for
from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually, order_state, wait_for_status
from tests.integration.kafka_tools import read_events, send
from tests.integration.test_order_paths import set_stock
from tests.integration.test_shipping_flows import carrier_update

pytestmark = pytest.mark.integration
E = TypeVar("E", bound=ev.Event)


def order(external_id: str, settlement: str | None, **changes: Any) -> CanonicalOrder:
    """10.00 PLN; `settlement` None is cash on delivery."""
    payment = (
        {"method": "cash_on_delivery"}
        if settlement is None
        else {"method": "prepaid", "settlement": settlement}
    )
    return sample_order(external_id=external_id, payment=payment, **changes)


def submit(ordo: Ordo, *orders: CanonicalOrder) -> None:
    with ordo.http("ingestion") as api:
        for o in orders:
            response = api.post("/orders", content=o.model_dump_json())
            assert response.status_code == 202, response.text


def webhook(
    ordo: Ordo, o: CanonicalOrder, nid: str, status: str, amount: str, currency: str = "PLN"
) -> None:
    body = {
        "order_id": o.order_id,
        "notification_id": nid,
        "status": status,
        "amount": amount,
        "currency": currency,
        "provider_ref": f"psp-{nid}",
    }
    with ordo.http("payment") as api:
        response = api.post("/webhooks/payments", json=body)
    assert response.status_code == 202, response.text


def publish(ordo: Ordo, *events: ev.Event) -> None:
    """As the events' own writers would: same topic, key and CloudEvents headers."""
    for event in events:
        envelope = Envelope(data=event, source="/it/payment-flows")
        record = (envelope.key(), envelope.value(), envelope.headers())
        send(ordo.stack.kafka_bootstrap, topic_for(type(event)).name, [record])


def timeline(ordo: Ordo, o: CanonicalOrder) -> list[dict[str, Any]]:
    state = order_state(ordo, o.order_id)
    return [] if state is None else list(state["timeline"])


def wait_for(ordo: Ordo, o: CanonicalOrder, kind: str, deadline_s: float = 60) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        return next((t for t in timeline(ordo, o) if t["type"] == kind), None)

    return eventually(probe, deadline_s, f"{kind} for {o.external_id}")


def count(ordo: Ordo, o: CanonicalOrder, kind: str) -> int:
    return sum(t["type"] == kind for t in timeline(ordo, o))


def test_held_is_captured_at_handover_voided_on_cancel_and_cash_on_delivery_paid_on_delivery(
    ordo: Ordo,
) -> None:
    held, cancelled, cod = (
        order("pay-held-1", "held"),
        order("pay-held-2", "held"),
        order("pay-cod-1", None),
    )
    submit(ordo, held, cancelled, cod)
    webhook(ordo, held, "held-1", "authorized", "10.00")
    webhook(ordo, cancelled, "held-2", "authorized", "10.00")
    wait_for(ordo, held, "PaymentAuthorized")
    wait_for(ordo, cancelled, "PaymentAuthorized")
    wait_for(ordo, cod, "CashOnDeliveryAccepted")
    assert count(ordo, held, "PaymentCaptured") == 0  # held: nothing taken before shipment

    publish(
        ordo,
        ev.ShipmentStatusChanged(
            order_id=held.order_id, shipment_id="s-h1", status="handed_to_carrier"
        ),
        ev.OrderCancelled(order_id=cancelled.order_id, reason="customer asked", cancelled_by="ola"),
        ev.ShipmentStatusChanged(order_id=cod.order_id, shipment_id="s-c1", status="delivered"),
    )
    wait_for(ordo, held, "PaymentCaptured")
    voided = wait_for(ordo, cancelled, "PaymentVoided")
    assert voided["source"] == "/ordo/payment"
    wait_for(ordo, cod, "PaymentCaptured")
    assert count(ordo, cancelled, "PaymentCaptured") == 0
    assert count(ordo, cancelled, "PaymentRefunded") == 0


def published(ordo: Ordo, topic: str, o: CanonicalOrder, kind: type[E]) -> list[E]:
    """The order's `kind` events on `topic`, each once (a relay may publish one twice)."""
    envelopes = read_events(ordo.stack.kafka_bootstrap, topic)
    found = {
        e.id: e.data for e in envelopes if e.subject == o.order_id and isinstance(e.data, kind)
    }
    return list(found.values())


def test_a_held_order_shipped_from_two_warehouses_is_captured_parcel_by_parcel(
    ordo: Ordo,
) -> None:
    # SPLIT-B is only in the north warehouse: one parcel from each, 25.00 and 7.35.
    set_stock(ordo, "SPLIT-A", 5)
    with ordo.http("inventory") as api:
        api.put("/stock/SPLIT-B/north", json={"on_hand": 5}).raise_for_status()
    held = order(
        "pay-held-split",
        "held",
        lines=[
            {"sku": "SPLIT-A", "quantity": 2, "unit_price": "12.50"},
            {"sku": "SPLIT-B", "quantity": 1, "unit_price": "7.35"},
        ],
    )
    submit(ordo, held)
    webhook(ordo, held, "held-split", "authorized", "32.35")
    wait_for_status(ordo, held.order_id, "ready_for_fulfillment")

    def two_planned() -> list[ev.ShipmentPlanned] | None:
        planned = published(ordo, FULFILLMENT.name, held, ev.ShipmentPlanned)
        return planned if len({p.shipment_id for p in planned}) == 2 else None

    planned = eventually(two_planned, 30, "two shipments planned")
    first = next(p.shipment_id for p in planned if p.lines[0].sku == "SPLIT-A")
    second = next(p.shipment_id for p in planned if p.lines[0].sku == "SPLIT-B")
    assert count(ordo, held, "PaymentCaptured") == 0  # nothing taken before a parcel leaves

    # Through the carriers' feed: fulfillment publishes each status with the parcel's lines.
    carrier_update(
        ordo, first, shipment_id=first, status="handed_to_carrier", time="2030-01-01T08:00:00Z"
    )

    def captures(n: int) -> list[ev.PaymentCaptured] | None:
        found = published(ordo, PAYMENT.name, held, ev.PaymentCaptured)
        return found if len(found) >= n else None

    (taken,) = eventually(lambda: captures(1), 30, "the first parcel's capture")
    assert taken.amount == Decimal("25.00")
    carrier_update(
        ordo, second, shipment_id=second, status="in_transit", time="2030-01-01T09:00:00Z"
    )
    both = eventually(lambda: captures(2), 30, "the second parcel's capture")
    assert [c.amount for c in both] == [Decimal("25.00"), Decimal("7.35")]
    assert sum(c.amount for c in both) == held.total


def test_split_parts_sent_twice_settle_once_a_return_is_refunded_and_a_currency_mismatch_fails(
    ordo: Ordo,
) -> None:
    split, foreign = order("pay-split-1", "split"), order("pay-full-eur", "full")
    submit(ordo, split, foreign)
    webhook(ordo, split, "split-1", "authorized", "6.00")
    webhook(ordo, split, "split-1", "authorized", "6.00")  # the provider re-sends it
    webhook(ordo, foreign, "eur-1", "authorized", "10.00", currency="EUR")
    failed = wait_for(ordo, foreign, "PaymentFailed")
    assert "paid in EUR but the order is in PLN" in failed["summary"]
    webhook(ordo, split, "split-2", "captured", "4.00")
    wait_for(ordo, split, "PaymentCaptured")
    publish(
        ordo,
        ev.ReturnReceived(
            order_id=split.order_id,
            return_id="ret-1",
            lines=[],
            amount=Decimal("4.00"),
            currency="PLN",
        ),
    )
    refunded = wait_for(ordo, split, "PaymentRefunded")
    assert refunded["summary"] == "refunded 4.00 PLN (return ret-1 received)"
    assert count(ordo, split, "PaymentAuthorized") == 1
    assert count(ordo, split, "PaymentCaptured") == 1


def test_an_order_unpaid_past_its_channels_deadline_is_overdue(ordo: Ordo) -> None:
    # The default deadline is two days from placement: this one was placed a month ago.
    late = order("pay-late-1", "full", placed_at=datetime.now(UTC) - timedelta(days=30))
    submit(ordo, late)
    wait_for(ordo, late, "PaymentOverdue")
    assert eventually(lambda: (order_state(ordo, late.order_id) or {}).get("payment") == "overdue")
