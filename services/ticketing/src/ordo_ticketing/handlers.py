"""Ticketing's handlers: remember each order, and open a ticket when one leaves the happy path."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ordo_events import events as ev
from ordo_runtime import UnitOfWork
from ordo_ticketing.domain import REASONS, Case, TicketRef, ticket_id_for
from ordo_ticketing.instructions import render


def case_of(uow: UnitOfWork, order_id: str) -> Case:
    return uow.get_or_add(Case, Case.create_id(order_id), lambda: Case(order_id))


def on_order_received(event: ev.OrderReceived, uow: UnitOfWork) -> Sequence[ev.Event]:
    order = event.order.model_dump(mode="json")
    case = uow.get_or_add(Case, Case.create_id(event.order_id), lambda: Case(event.order_id, order))
    if case.order is None:  # a late or repeated OrderReceived must not undo a correction
        case.learn_order(order)
    return []


def on_order_corrected(event: ev.OrderCorrected, uow: UnitOfWork) -> Sequence[ev.Event]:
    # Ticketing emitted it itself when the ticket was resolved; this only matters when the
    # resolution is not in the case (state rebuilt elsewhere), and it is a no-op otherwise.
    case = case_of(uow, event.order_id)
    if event.ticket_id not in case.corrections:
        case.apply_correction(event.ticket_id, event.order.model_dump(mode="json"))
    return []


def on_validation_failed(event: ev.OrderValidationFailed, uow: UnitOfWork) -> Sequence[ev.Event]:
    return open_ticket(
        uow,
        event.order_id,
        "validation_failed",
        f"attempt-{event.attempt}",
        event.issues,
        attempt=event.attempt,
    )


def on_stock_shortage(event: ev.StockShortage, uow: UnitOfWork) -> Sequence[ev.Event]:
    issues = [
        ev.Issue(
            code="stock.short",
            field=f"lines[sku={m.sku}]",
            message=f"Not enough {m.sku}: {m.requested} wanted, {m.available} available.",
        )
        for m in event.missing
    ]
    return open_ticket(uow, event.order_id, "out_of_stock", None, issues, missing=event.missing)


def on_payment_failed(event: ev.PaymentFailed, uow: UnitOfWork) -> Sequence[ev.Event]:
    issues = [ev.Issue(code="payment.declined", field="payment", message=event.reason)]
    return open_ticket(uow, event.order_id, "payment_declined", None, issues, failure=event.reason)


def on_order_rejected(event: ev.OrderRejected, uow: UnitOfWork) -> Sequence[ev.Event]:
    return open_ticket(
        uow,
        event.order_id,
        "order_rejected",
        None,
        event.issues,
        channel=event.channel,
        external_id=event.external_id,
    )


def open_ticket(
    uow: UnitOfWork,
    order_id: str,
    reason: str,
    cause: str | None,
    issues: list[ev.Issue],
    **details: Any,
) -> list[ev.Event]:
    """Open one ticket for a failure, unless it is open already. Without an explicit cause, a
    failure is told apart from a repeat of it by the corrections the order has had since."""
    case = case_of(uow, order_id)
    ticket_id = ticket_id_for(order_id, reason, cause or f"generation-{case.generation}")
    if ticket_id in case.tickets or case.open_ticket_for(reason) is not None:
        return []
    stage, severity = REASONS[reason]
    instructions = render(
        reason, order_id=order_id, order=case.current_order, issues=issues, **details
    )
    case.open_ticket(
        ticket_id=ticket_id,
        reason=reason,
        stage=stage,
        severity=severity,
        instructions=instructions,
        issues=[issue.model_dump(mode="json") for issue in issues],
        opened_at=datetime.now(UTC),
    )
    uow.add(TicketRef(ticket_id, order_id))
    return [
        ev.TicketOpened(
            order_id=order_id,
            ticket_id=ticket_id,
            reason=reason,
            stage=stage,
            severity=severity,
            instructions=instructions,
            issues=issues,
        )
    ]


EVENT_HANDLERS: dict[type[ev.Event], Callable[[Any, UnitOfWork], Sequence[ev.Event]]] = {
    ev.OrderReceived: on_order_received,
    ev.OrderCorrected: on_order_corrected,
    ev.OrderValidationFailed: on_validation_failed,
    ev.StockShortage: on_stock_shortage,
    ev.PaymentFailed: on_payment_failed,
    ev.OrderRejected: on_order_rejected,
}
