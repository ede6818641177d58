"""Fulfillment's handlers: each notes one fact, then the gate decides."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ordo_events import events as ev
from ordo_fulfillment.domain import ReleaseGate
from ordo_runtime import UnitOfWork


def gate(uow: UnitOfWork, order_id: str) -> ReleaseGate:
    return uow.get_or_add(
        ReleaseGate, ReleaseGate.create_id(order_id), lambda: ReleaseGate(order_id)
    )


def on_validated(event: ev.OrderValidated, uow: UnitOfWork) -> Sequence[ev.Event]:
    order_gate = gate(uow, event.order_id)
    if not order_gate.validated:
        order_gate.note_verdict(True)
    return release_if_ready(order_gate)


def on_validation_failed(event: ev.OrderValidationFailed, uow: UnitOfWork) -> Sequence[ev.Event]:
    order_gate = gate(uow, event.order_id)
    if order_gate.validated and not order_gate.released:
        order_gate.note_verdict(False)
    return []


def on_reserved(event: ev.StockReserved, uow: UnitOfWork) -> Sequence[ev.Event]:
    order_gate = gate(uow, event.order_id)
    if order_gate.reserved is None:
        order_gate.note_reservation({line.sku: line.quantity for line in event.lines})
    return release_if_ready(order_gate)


def on_paid(
    event: ev.PaymentAuthorized | ev.CashOnDeliveryAccepted, uow: UnitOfWork
) -> Sequence[ev.Event]:
    order_gate = gate(uow, event.order_id)
    if not order_gate.paid:
        order_gate.note_payment(True)
    return release_if_ready(order_gate)


def release_if_ready(order_gate: ReleaseGate) -> list[ev.Event]:
    if not order_gate.ready:
        return []
    order_gate.release()
    lines = [
        ev.ReservedLine(sku=sku, quantity=qty) for sku, qty in (order_gate.reserved or {}).items()
    ]
    return [ev.OrderReadyForFulfillment(order_id=order_gate.order_id, lines=lines)]


EVENT_HANDLERS: dict[type[ev.Event], Callable[[Any, UnitOfWork], Sequence[ev.Event]]] = {
    ev.OrderValidated: on_validated,
    ev.OrderValidationFailed: on_validation_failed,
    ev.StockReserved: on_reserved,
    ev.PaymentAuthorized: on_paid,
    ev.CashOnDeliveryAccepted: on_paid,
}
