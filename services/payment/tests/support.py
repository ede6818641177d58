"""Shared givens for payment's shipment scenarios."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_runtime.testing import sample_order


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
