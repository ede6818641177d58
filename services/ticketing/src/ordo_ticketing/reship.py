"""Sending a parcel that came back to sender again, from its `returned_to_sender` ticket.

The operator asks (ReshipParcel: ReshipRequested); inventory holds the returned units again
(StockReheld) or says some are gone (ReshipShortage); fulfillment, once it has the request
and the units, plans a new shipment replacing the returned one (ShipmentPlanned with
`replaces`). Ticketing keeps the returned ticket open until that outcome: the plan resolves
it, a shortage opens a `reship_short` ticket and lets the operator ask again once restocked.
The case keeps one request per returned parcel, so a second cannot race the first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ordo_events import events as ev
from ordo_events.order import Address
from ordo_runtime import UnitOfWork
from ordo_ticketing.commands import TicketCommand
from ordo_ticketing.domain import Case, TicketRefusedError
from ordo_ticketing.opening import case_of, open_ticket, short_issues
from ordo_ticketing.returned import RETURNED

SHORT = "reship_short"


class ReshipParcel(TicketCommand):
    """Ask for the ticket's returned parcel to be sent again, to `address` when given (the
    corrected one), else where it went the first time. Refused while a request for it is in
    flight or once it was sent again (one new parcel per returned one), and for a cancelled
    order or one whose cancellation is pending (its stock is being given back)."""

    def __init__(self, ticket_id: str, by: str, address: Address | None = None):
        super().__init__(ticket_id, by)
        self.address = address

    def decide(self, case: Case, ticket: dict[str, Any]) -> list[ev.Event]:
        if ticket["reason"] != RETURNED:
            raise TicketRefusedError(
                f"ticket {self.ticket_id} is a {ticket['reason']} ticket: only a parcel returned"
                f" to sender is sent again, from its {RETURNED} ticket"
            )
        shipment_id = str(ticket["details"]["subject"])
        if case.cancelled:
            raise TicketRefusedError(
                f"order {case.order_id} is cancelled: shipment {shipment_id} is not sent again"
            )
        if case.cancellation_requested:
            raise TicketRefusedError(
                f"order {case.order_id} is being cancelled (fulfillment has not answered yet):"
                f" shipment {shipment_id} is not sent again"
            )
        asked = case.reships.get(shipment_id)
        if asked is not None and asked["status"] == "requested":
            raise TicketRefusedError(
                f"shipment {shipment_id} is being sent again already ({asked['requested_by']}"
                " asked): this ticket closes once the new parcel is planned"
            )
        if asked is not None and asked["status"] == "planned":
            raise TicketRefusedError(
                f"shipment {shipment_id} was sent again already, as shipment {asked['replaced_by']}"
            )
        address = None if self.address is None else self.address.model_dump(mode="json")
        case.ask_reship(shipment_id, self.ticket_id, self.by, address)
        return [
            ev.ReshipRequested(
                order_id=case.order_id,
                ticket_id=self.ticket_id,
                shipment_id=shipment_id,
                requested_by=self.by,
                address=self.address,
                # Numbered, so inventory's answer is paired with this request and its address.
                attempt=case.reships[shipment_id]["attempts"],
            )
        ]


def on_shipment_planned(event: ev.ShipmentPlanned, uow: UnitOfWork) -> list[ev.Event]:
    """A new parcel replaces a returned one: its returned ticket (and a shortage ticket left
    from an earlier try) is done, resolved by the operator who asked."""
    if event.replaces is None:
        return []  # a first plan: nothing ticketing keeps
    case = case_of(uow, event.order_id)
    old = event.replaces
    asked = case.reships.get(old)
    if asked is not None and asked["status"] == "planned":
        return []  # a redelivery
    case.reshipped(old, event.shipment_id)
    by = asked["requested_by"] if asked is not None else None
    where = " to the corrected address" if asked is not None and asked["address"] else ""
    resolutions = {
        RETURNED: f"sent again as shipment {event.shipment_id}{where}",
        SHORT: f"the stock was found: sent again as shipment {event.shipment_id}",
    }
    events: list[ev.Event] = []
    for reason, resolution in resolutions.items():
        ticket_id = case.open_ticket_for(reason, old)
        if ticket_id is not None:
            events.append(resolve(case, ticket_id, by or "fulfillment", resolution))
    return events


def resolve(case: Case, ticket_id: str, by: str, resolution: str) -> ev.TicketResolved:
    case.resolve_ticket(
        ticket_id=ticket_id,
        resolved_by=by,
        resolution=resolution,
        resolved_at=datetime.now(UTC),
        correction=None,
        order=None,
    )
    return ev.TicketResolved(
        order_id=case.order_id, ticket_id=ticket_id, resolved_by=by, resolution=resolution
    )


def on_reship_shortage(event: ev.ReshipShortage, uow: UnitOfWork) -> list[ev.Event]:
    """The returned parcel's units are not all there any more and nothing is held: a ticket
    says which, and the parcel may be asked for again (from its returned ticket, still open)
    once they are restocked. One ticket per try, so a redelivery opens none."""
    case = case_of(uow, event.order_id)
    sid = event.shipment_id
    asked = case.reships.get(sid)
    if asked is not None and asked["status"] == "planned":
        return []  # sent again after all: the shortage is old news
    if asked is not None and event.attempt < asked["attempts"]:
        return []  # the answer to an earlier request: a newer one is on its way
    if asked is not None and asked["status"] == "requested":
        case.reship_short(sid)
    issues = short_issues(event.missing, "needed")
    attempt = 0 if asked is None else asked["attempts"]
    return open_ticket(
        uow,
        event.order_id,
        SHORT,
        f"{sid}/{attempt}",
        issues,
        subject=sid,  # one live ticket per parcel that cannot be sent again
        shipment_id=sid,
        missing=[m.model_dump(mode="json") for m in event.missing],
        returned_ticket=case.open_ticket_for(RETURNED, sid),
    )
