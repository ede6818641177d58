"""The operator's commands on a ticket: assign, hold, release, resolve, cancel the order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder, Correction
from ordo_runtime import UnitOfWork
from ordo_ticketing.domain import Case, TicketRef, TicketRefusedError

# The old name, kept for callers that catch it.
ResolveRefusedError = TicketRefusedError


class Resolution(BaseModel):
    resolved_by: str | None = Field(
        default=None, description="Who resolved it; the acting operator when left out"
    )
    resolution: str = Field(min_length=1, description="What was done, in a few words")
    correction: Correction | None = Field(
        default=None,
        description="Data that fixes the order; omit when the order needs no change "
        "(a rejected intake, a payment the customer made again)",
    )


class TicketNotFoundError(LookupError):
    pass


class TicketCommand:
    """A command on one ticket by one operator. After it ran, `ticket` is the ticket as it
    is now and `order` its order, for the HTTP answer."""

    def __init__(self, ticket_id: str, by: str):
        self.ticket_id, self.by = ticket_id, by
        self.ticket: dict[str, Any] = {}
        self.order: CanonicalOrder | None = None

    def __call__(self, uow: UnitOfWork) -> Sequence[ev.Event]:
        ref = uow.get(TicketRef, TicketRef.create_id(self.ticket_id))
        case = None if ref is None else uow.get(Case, Case.create_id(ref.order_id))
        if case is None or self.ticket_id not in case.tickets:
            raise TicketNotFoundError(f"no ticket {self.ticket_id}")
        events = self.decide(case, case.ticket(self.ticket_id))
        self.ticket, self.order = dict(case.tickets[self.ticket_id]), case.current_order
        return events

    def decide(self, case: Case, ticket: dict[str, Any]) -> list[ev.Event]:
        raise NotImplementedError


class AssignTicket(TicketCommand):
    def __init__(self, ticket_id: str, by: str, assignee: str):
        super().__init__(ticket_id, by)
        self.assignee = assignee

    def decide(self, case: Case, ticket: dict[str, Any]) -> list[ev.Event]:
        if ticket["assignee"] == self.assignee:
            return []  # already theirs: a repeated click changes nothing
        case.assign_ticket(self.ticket_id, self.assignee)
        tid, oid = self.ticket_id, case.order_id
        return [
            ev.TicketAssigned(
                order_id=oid, ticket_id=tid, assignee=self.assignee, assigned_by=self.by
            )
        ]


class HoldTicket(TicketCommand):
    def __init__(self, ticket_id: str, by: str, note: str | None = None):
        super().__init__(ticket_id, by)
        self.note = note

    def decide(self, case: Case, ticket: dict[str, Any]) -> list[ev.Event]:
        if ticket["status"] == "on_hold":
            raise TicketRefusedError(f"ticket {self.ticket_id} is already on hold")
        case.hold_ticket(self.ticket_id)
        tid, oid = self.ticket_id, case.order_id
        return [ev.TicketHeld(order_id=oid, ticket_id=tid, held_by=self.by, note=self.note)]


class ReleaseTicket(TicketCommand):
    def decide(self, case: Case, ticket: dict[str, Any]) -> list[ev.Event]:
        if ticket["status"] != "on_hold":
            raise TicketRefusedError(f"ticket {self.ticket_id} is not on hold")
        case.release_ticket(self.ticket_id)
        return [
            ev.TicketReleased(order_id=case.order_id, ticket_id=self.ticket_id, released_by=self.by)
        ]


class CancelOrder(TicketCommand):
    """Ask to cancel the ticket's order: OrderCancellationRequested. The release gate
    decides, as only it knows in the same write whether a shipment left: OrderCancelled
    (stock and payment are given back, and the order's live tickets cancelled) or
    OrderCancellationRefused. Refused here at once when ticketing already knows goods are
    out with the carrier or the customer (payment would refund what the customer keeps; a
    return takes back what they do not want); parcels returned to sender are back on the
    shelf and do not count. Asked again while the gate has not answered, it changes nothing."""

    def __init__(self, ticket_id: str, by: str, reason: str):
        super().__init__(ticket_id, by)
        self.reason = reason

    def decide(self, case: Case, ticket: dict[str, Any]) -> list[ev.Event]:
        if case.order is None:
            raise TicketRefusedError(
                f"order {case.order_id} is not in Ordo (rejected at intake, or its details"
                " have not arrived): there is no order to cancel"
            )
        out_there = case.out_there()
        if out_there:
            raise TicketRefusedError(
                f"order {case.order_id} cannot be cancelled: shipment(s)"
                f" {', '.join(out_there)} already left the warehouse. Ask the customer to"
                f" return what they do not want (POST /orders/{case.order_id}/returns)"
            )
        if case.cancelled:
            raise TicketRefusedError(f"order {case.order_id} is cancelled already")
        if case.cancellation_requested:
            return []  # asked already: fulfillment's answer is on its way
        case.request_cancellation(self.reason, self.by)
        return [
            ev.OrderCancellationRequested(
                order_id=case.order_id, reason=self.reason, requested_by=self.by
            )
        ]


class ResolveTicket(TicketCommand):
    """The command behind POST /tickets/{id}/resolve."""

    def __init__(self, ticket_id: str, resolution: Resolution, by: str | None = None):
        super().__init__(ticket_id, by or resolution.resolved_by or "operator")
        self.resolution = resolution

    def decide(self, case: Case, ticket: dict[str, Any]) -> list[ev.Event]:
        fix, order = self.resolution.correction, case.current_order
        corrected = None
        if fix is not None:
            if order is None:
                raise TicketRefusedError(no_order_to_correct(case.order_id, ticket["reason"]))
            # What the channel has in the fields now, so that its later change of one of
            # them is taken instead of this correction (see Correction.in_force).
            sent = case.channel_order
            fix = fix.based_on(sent)
            corrected = fix.apply(order, sent)
        case.resolve_ticket(
            ticket_id=self.ticket_id,
            resolved_by=self.by,
            resolution=self.resolution.resolution,
            resolved_at=datetime.now(UTC),
            correction=None if fix is None else fix.model_dump(mode="json"),
            order=None if corrected is None else corrected.model_dump(mode="json"),
        )
        events: list[ev.Event] = [
            ev.TicketResolved(
                order_id=case.order_id,
                ticket_id=self.ticket_id,
                resolved_by=self.by,
                resolution=self.resolution.resolution,
            )
        ]
        if fix is not None and corrected is not None:
            events.append(
                ev.OrderCorrected(
                    order_id=case.order_id,
                    ticket_id=self.ticket_id,
                    corrected_by=self.by,
                    correction=fix,
                    order=corrected,
                    sequence=case.sequence,
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
