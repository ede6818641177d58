"""Opening a ticket: the one way every failure, the SLA sweep and the cancellation's
answers put an order in front of an operator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ordo_events import events as ev
from ordo_runtime import UnitOfWork
from ordo_ticketing.domain import AFTER_CANCELLATION, REASONS, Case, TicketRef, ticket_id_for
from ordo_ticketing.instructions import render
from ordo_ticketing.settings import settings


def short_issues(missing: list[ev.MissingStock], verb: str = "wanted") -> list[ev.Issue]:
    """One issue per SKU inventory could not hold: what was `verb` and what is available."""
    return [
        ev.Issue(
            code="stock.short",
            field=f"lines[sku={m.sku}]",
            message=f"Not enough {m.sku}: {m.requested} {verb}, {m.available} available.",
        )
        for m in missing
    ]


def case_of(uow: UnitOfWork, order_id: str) -> Case:
    return uow.get_or_add(Case, Case.create_id(order_id), lambda: Case(order_id))


def open_ticket(
    uow: UnitOfWork,
    order_id: str,
    reason: str,
    cause: str | None,
    issues: list[ev.Issue],
    stage: str | None = None,
    now: datetime | None = None,
    **details: Any,
) -> list[ev.Event]:
    """Open one ticket for a failure, unless it is open already (for the same subject) or the
    order is cancelled (but for what went wrong after it, AFTER_CANCELLATION). Without an
    explicit cause, a failure is told apart from a repeat of it by the corrections the order
    has had since. `details` must be JSON: they are kept so the instructions can be rendered
    again in the operator's language."""
    case = case_of(uow, order_id)
    ticket_id = ticket_id_for(order_id, reason, cause or f"generation-{case.generation}")
    subject = details.get("subject")
    if case.cancelled and reason not in AFTER_CANCELLATION:
        return []
    if ticket_id in case.tickets or case.open_ticket_for(reason, subject):
        return []
    default_stage, severity = REASONS[reason]
    stage = stage or default_stage
    order = case.current_order
    instructions = render(reason, order_id=order_id, order=order, issues=issues, **details)
    opened_at = now or datetime.now(UTC)
    sla_due = opened_at + settings().ticket_sla(severity)
    case.open_ticket(
        ticket_id=ticket_id,
        reason=reason,
        stage=stage,
        severity=severity,
        instructions=instructions,
        issues=[issue.model_dump(mode="json") for issue in issues],
        opened_at=opened_at,
        sla_due=sla_due,
        details=details,
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
            channel=details.get("channel") if order is None else order.channel,
            market=None if order is None else order.market,
            sla_due=sla_due,
            details=details,
        )
    ]
