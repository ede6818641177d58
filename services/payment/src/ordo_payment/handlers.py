"""Payment's handlers: each records the fact it brings, then announces what `policy.decide`
makes of all the facts. A fact already recorded (a redelivery, a re-sent notification)
changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder, PaymentStatus, SettlementMode
from ordo_payment.domain import Settlement, announce
from ordo_payment.parcels import on_shipment
from ordo_payment.settings import DEADLINES
from ordo_runtime import UnitOfWork

# The channel's own word that the order is paid stands for a provider notification.
_CHANNEL_NOTES = {PaymentStatus.PAID: "captured", PaymentStatus.AUTHORIZED: "authorized"}


def settlement(uow: UnitOfWork, order_id: str) -> Settlement:
    return uow.get_or_add(Settlement, Settlement.create_id(order_id), lambda: Settlement(order_id))


def on_order_received(event: ev.OrderReceived, uow: UnitOfWork) -> Sequence[ev.Event]:
    order = event.order
    known = _known(order)
    case = uow.get(Settlement, Settlement.create_id(event.order_id))
    if case is None:
        case = Settlement(event.order_id, *known)
        uow.add(case)
    elif case.known:
        return []  # a redelivery
    else:
        case.learn_order(*known)  # a provider notification came first
    status = order.payment.status
    if order.payment.mode is not SettlementMode.CASH_ON_DELIVERY and status in _CHANNEL_NOTES:
        ref = order.payment.reference or f"{order.channel}:{order.external_id}"
        case.note(f"channel:{ref}", _CHANNEL_NOTES[status], order.total, ref, "", order.currency)
    return announce(case)


def on_order_revised(event: ev.OrderRevised, uow: UnitOfWork) -> Sequence[ev.Event]:
    """The channel changed the order before it was settled: decide on the new total."""
    case = uow.get(Settlement, Settlement.create_id(event.order_id))
    if case is None or not case.known:
        return on_order_received(ev.OrderReceived(order_id=event.order_id, order=event.order), uow)
    if case.cancelled is not None:
        return []
    known = _known(event.order)
    if case.outcome in ("authorized", "cash_on_delivery"):
        # Settled on what the customer agreed to: a revision does not unsettle it. Its lines
        # are what will ship, though, so shipments are valued by them.
        if known[4] == case.lines:
            return []
        case.revise_lines(known[4])
        return announce(case)
    if known == (case.method, case.total, case.currency, case.deadline, case.lines):
        return []
    case.learn_order(*known)
    return announce(case)


def _known(
    order: CanonicalOrder,
) -> tuple[str, Decimal, str, datetime | None, list[dict[str, str]]]:
    """What a settlement keeps of its order: how it is settled, for how much, by when, and
    its lines (to value what each shipment of a held order carries)."""
    mode = order.payment.mode
    lines = [
        {"sku": line.sku, "quantity": str(line.quantity), "unit_price": str(line.unit_price)}
        for line in order.lines
    ]
    return mode.value, order.total, order.currency, _deadline(order, mode), lines


def _deadline(order: CanonicalOrder, mode: SettlementMode) -> datetime | None:
    if mode is SettlementMode.CASH_ON_DELIVERY:
        return None
    placed = order.placed_at or datetime.now(UTC)
    if placed.tzinfo is None:
        placed = placed.replace(tzinfo=UTC)  # a channel that gives no zone means UTC
    return placed + DEADLINES.window(order.channel)


def on_provider_notification(
    event: ev.PaymentNotificationReceived, uow: UnitOfWork
) -> Sequence[ev.Event]:
    case = settlement(uow, event.order_id)
    if event.notification_id in case.notifications:
        return []  # the provider re-sent it
    case.note(
        event.notification_id,
        event.status,
        event.amount,
        event.provider_ref,
        event.reason or "",
        event.currency.upper(),
    )
    return announce(case)


def on_order_corrected(event: ev.OrderCorrected, uow: UnitOfWork) -> Sequence[ev.Event]:
    method = event.correction.payment_method
    case = settlement(uow, event.order_id)
    if method is None or event.ticket_id in case.corrections:
        return []
    if case.outcome in ("authorized", "cash_on_delivery"):
        return []  # settled: a correction no longer changes how
    case.change_method(event.ticket_id, event.order.payment.mode.value)
    return announce(case)


def on_cancelled(event: ev.OrderCancelled, uow: UnitOfWork) -> Sequence[ev.Event]:
    case = settlement(uow, event.order_id)
    if case.cancelled is not None:
        return []
    case.cancel(event.reason)
    return announce(case, f"order cancelled: {event.reason}")


def on_return_received(event: ev.ReturnReceived, uow: UnitOfWork) -> Sequence[ev.Event]:
    case = settlement(uow, event.order_id)
    if event.return_id in case.returns:
        return []
    if case.currency is not None and event.currency.upper() != case.currency:
        # Raised, the return goes to the dead letters with this reason, for an operator.
        raise ValueError(
            f"return {event.return_id} is in {event.currency} but order {event.order_id} was"
            f" paid in {case.currency}: refund it by hand"
        )
    case.returned(event.return_id, event.amount)
    return announce(case, f"return {event.return_id} received")


def overdue(settlement_id: uuid.UUID) -> Callable[[UnitOfWork], list[ev.Event]]:
    """The deadline sweep's command: PaymentOverdue, if the order is still unpaid."""

    def command(uow: UnitOfWork) -> list[ev.Event]:
        case = uow.get(Settlement, settlement_id)
        if case is None or case.deadline is None or not case.awaits_payment:
            return []
        case.pass_deadline(case.deadline)
        return announce(case)

    return command


def overdue_cause(settlement_id: uuid.UUID) -> str:
    """The same for every replica, so two sweeps firing for one order store it once."""
    return f"overdue/{settlement_id}"


EVENT_HANDLERS: dict[type[ev.Event], Callable[[Any, UnitOfWork], Sequence[ev.Event]]] = {
    ev.OrderReceived: on_order_received,
    ev.OrderRevised: on_order_revised,
    ev.PaymentNotificationReceived: on_provider_notification,
    ev.OrderCorrected: on_order_corrected,
    ev.ShipmentStatusChanged: on_shipment,
    ev.OrderCancelled: on_cancelled,
    ev.ReturnReceived: on_return_received,
}
