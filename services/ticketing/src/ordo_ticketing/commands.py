"""Resolving a ticket: the operator's answer, and the corrected order that lets it go on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from ordo_events import events as ev
from ordo_events.order import Correction
from ordo_runtime import UnitOfWork
from ordo_ticketing.domain import Case, TicketRef


class Resolution(BaseModel):
    resolved_by: str = Field(min_length=1, description="Who resolved it, e.g. an operator login")
    resolution: str = Field(min_length=1, description="What was done, in a few words")
    correction: Correction | None = Field(
        default=None,
        description="Data that fixes the order; omit when the order needs no change "
        "(a rejected intake, a payment the customer made again)",
    )


class TicketNotFoundError(LookupError):
    pass


class ResolveRefusedError(Exception):
    """The ticket cannot be resolved as asked; the message says why, for the operator."""


class ResolveTicket:
    """The command behind POST /tickets/{id}/resolve. After it ran, `ticket` is the ticket as
    resolved, for the HTTP answer."""

    def __init__(self, ticket_id: str, resolution: Resolution):
        self.ticket_id, self.resolution = ticket_id, resolution
        self.ticket: dict[str, Any] = {}

    def __call__(self, uow: UnitOfWork) -> Sequence[ev.Event]:
        ref = uow.get(TicketRef, TicketRef.create_id(self.ticket_id))
        case = None if ref is None else uow.get(Case, Case.create_id(ref.order_id))
        if case is None or self.ticket_id not in case.tickets:
            raise TicketNotFoundError(f"no ticket {self.ticket_id}")
        ticket = case.tickets[self.ticket_id]
        if ticket["status"] == "resolved":
            raise ResolveRefusedError(
                f"ticket {self.ticket_id} was already resolved by {ticket['resolved_by']}"
                f" at {ticket['resolved_at']:%Y-%m-%d %H:%M} UTC: {ticket['resolution']}"
            )
        fix, order = self.resolution.correction, case.current_order
        corrected = None
        if fix is not None:
            if order is None:
                raise ResolveRefusedError(no_order_to_correct(case.order_id, ticket["reason"]))
            corrected = fix.apply(order)
        case.resolve_ticket(
            ticket_id=self.ticket_id,
            resolved_by=self.resolution.resolved_by,
            resolution=self.resolution.resolution,
            resolved_at=datetime.now(UTC),
            correction=None if fix is None else fix.model_dump(mode="json"),
            order=None if corrected is None else corrected.model_dump(mode="json"),
        )
        self.ticket = dict(case.tickets[self.ticket_id])
        events: list[ev.Event] = [
            ev.TicketResolved(
                order_id=case.order_id,
                ticket_id=self.ticket_id,
                resolved_by=self.resolution.resolved_by,
                resolution=self.resolution.resolution,
            )
        ]
        if fix is not None and corrected is not None:
            events.append(
                ev.OrderCorrected(
                    order_id=case.order_id,
                    ticket_id=self.ticket_id,
                    corrected_by=self.resolution.resolved_by,
                    correction=fix,
                    order=corrected,
                )
            )
        return events


def no_order_to_correct(order_id: str, reason: str) -> str:
    if reason == "order_rejected":
        return (
            f"order {order_id} was rejected at intake and is not in Ordo, so there is nothing"
            " to correct: resolve this ticket without a correction"
        )
    return (
        f"the details of order {order_id} have not reached ticketing yet, so the correction"
        " cannot be applied to them; try again in a moment"
    )
