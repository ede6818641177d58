"""Fulfillment's handlers: each notes one fact, then the gate decides."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ordo_events import events as ev
from ordo_fulfillment.domain import ReleaseGate
from ordo_runtime import UnitOfWork


def existing(uow: UnitOfWork, order_id: str) -> ReleaseGate | None:
    return uow.get(ReleaseGate, ReleaseGate.create_id(order_id))


def opened(uow: UnitOfWork, order_gate: ReleaseGate) -> ReleaseGate:
    uow.add(order_gate)
    return order_gate


def on_validated(event: ev.OrderValidated, uow: UnitOfWork) -> Sequence[ev.Event]:
    order_gate = existing(uow, event.order_id)
    if order_gate is None:
        order_gate = opened(uow, ReleaseGate(event.order_id, validated=True))
    elif not order_gate.validated:
        order_gate.note_verdict(True)
    return release_if_ready(order_gate)


def on_validation_failed(event: ev.OrderValidationFailed, uow: UnitOfWork) -> Sequence[ev.Event]:
    order_gate = existing(uow, event.order_id)
    if order_gate is not None and order_gate.validated and not order_gate.released:
        order_gate.note_verdict(False)
    return []


def on_reserved(event: ev.StockReserved, uow: UnitOfWork) -> Sequence[ev.Event]:
    lines = {line.sku: line.quantity for line in event.lines}
    order_gate = existing(uow, event.order_id)
    if order_gate is None:
        order_gate = opened(uow, ReleaseGate(event.order_id, reserved=lines))
    elif order_gate.reserved is None:
        order_gate.note_reservation(lines)
    return release_if_ready(order_gate)


def on_paid(
    event: ev.PaymentAuthorized | ev.CashOnDeliveryAccepted, uow: UnitOfWork
) -> Sequence[ev.Event]:
    order_gate = existing(uow, event.order_id)
    if order_gate is None:
        order_gate = opened(uow, ReleaseGate(event.order_id, paid=True))
    elif not order_gate.paid:
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
