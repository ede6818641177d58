"""Each way an order is settled, on the real stack: orders through ingestion, the provider's
webhook, and the shipment, cancellation and return events published as fulfillment and
ticketing publish them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import CanonicalOrder
from ordo_events.topics import topic_for
from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually, order_state
from tests.integration.kafka_tools import send

pytestmark = pytest.mark.integration


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
