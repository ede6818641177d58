"""Shared givens for payment's shipment scenarios."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_payment.app import service
from ordo_payment.domain import Settlement
from ordo_runtime.testing import Scenario, sample_order


def order_with(
    external_id: str, payment: dict[str, Any], *lines: tuple[str, int, str], currency: str = "PLN"
) -> CanonicalOrder:
    """An order of (sku, quantity, unit price) lines."""
    return sample_order(
        external_id=external_id,
        currency=currency,
        payment=payment,
        lines=[{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines],
    )


def shipment(
    o: CanonicalOrder,
    number: int,
    status: str,
    *lines: tuple[str, int],
    replaces: int | None = None,
) -> ev.ShipmentStatusChanged:
    """Shipment `number` of the order, in `status`, carrying (sku, quantity) lines; sent
    again in place of shipment `replaces`, when given."""
    return ev.ShipmentStatusChanged(
        order_id=o.order_id,
        shipment_id=f"{o.order_id}-S{number}",
        status=status,
        lines=[ev.ReservedLine(sku=sku, quantity=q) for sku, q in lines],
        replaces=None if replaces is None else f"{o.order_id}-S{replaces}",
    )


def captured(events: list[ev.Event]) -> list[Decimal]:
    return [e.amount for e in events if isinstance(e, ev.PaymentCaptured)]


def accepted(o: CanonicalOrder) -> Scenario:
    """Given the order received (cash on delivery: accepted as it is)."""
    return Scenario(service).given(ev.OrderReceived(order_id=o.order_id, order=o))


def authorisation(o: CanonicalOrder) -> ev.PaymentNotificationReceived:
    """The provider's word that the whole order is authorised (psp-1)."""
    return ev.PaymentNotificationReceived(
        order_id=o.order_id,
        notification_id="n1",
        status="authorized",
        amount=o.total,
        currency=o.currency,
        provider_ref="psp-1",
    )


def authorised(o: CanonicalOrder) -> Scenario:
    """Given the order received and authorised."""
    return accepted(o).given(authorisation(o))


def not_collected(o: CanonicalOrder, number: int, amount: str) -> ev.CashOnDeliveryNotCollected:
    return ev.CashOnDeliveryNotCollected(
        order_id=o.order_id,
        shipment_id=f"{o.order_id}-S{number}",
        amount=Decimal(amount),
        currency="PLN",
    )


def voided_and_refunded(o: CanonicalOrder, reason: str, amount: str) -> list[ev.Event]:
    """What cancelling an authorised (psp-1), partly captured order gives: the rest of the
    authorisation released, what was taken refunded."""
    because = f"order cancelled: {reason}"
    return [
        ev.PaymentVoided(order_id=o.order_id, reason=because, provider_ref="psp-1"),
        ev.PaymentRefunded(
            order_id=o.order_id, amount=Decimal(amount), currency="PLN", reason=because
        ),
    ]


def settlement_of(s: Scenario, o: CanonicalOrder) -> Settlement:
    case = s.app.get(Settlement, Settlement.create_id(o.order_id))
    assert case is not None
    return case
