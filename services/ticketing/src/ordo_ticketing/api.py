"""The operator API: act on tickets and dead letters, and read orders, tickets and the queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query, Request
from pydantic import BaseModel, Field

from ordo_events.order import Address
from ordo_runtime.auth import LOCAL, caller
from ordo_runtime.http import runtime_of
from ordo_ticketing import access, deadletters, queries
from ordo_ticketing.commands import (
    AssignTicket,
    CancelOrder,
    HoldTicket,
    ReleaseTicket,
    Resolution,
    ResolveTicket,
    TicketCommand,
    TicketNotFoundError,
)
from ordo_ticketing.domain import TicketRefusedError
from ordo_ticketing.instructions import language_of
from ordo_ticketing.queue import QueueFilter, queue
from ordo_ticketing.reship import ReshipParcel

router = APIRouter()
CONFLICT_RETRIES = 3


def actor(request: Request, claimed: str | None = None) -> str:
    """Who is acting: the one place that says so. It is the authenticated caller, never what
    the request claims; only an app the runtime never secured (one under test) takes whom the
    caller names (the X-Operator header, else the body's own field)."""
    who = caller(request)
    if who is not LOCAL:
        return who.name
    name = request.headers.get("x-operator") or claimed
    if not name or not name.strip():
        raise HTTPException(422, "say who is acting: an X-Operator header (or the body's name)")
    return name.strip()[:128]


def language(
    lang: str | None = None, accept_language: Annotated[str | None, Header()] = None
) -> str:
    return language_of(lang, accept_language)


async def run(
    request: Request, command: TicketCommand, cause_id: str | None, lang: str
) -> dict[str, Any]:
    """Run the command and answer the ticket as it is now, in the operator's language."""
    runtime = runtime_of(request)
    await access.may_act(request, runtime.pool, command.ticket_id)
    for _ in range(CONFLICT_RETRIES):  # the consumer may be writing the same case just now
        try:
            await runtime.execute(command, cause_id=cause_id)
        except TicketNotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        except TicketRefusedError as exc:
            raise HTTPException(409, str(exc)) from None
        except IntegrityError:
            command.ticket = {}
            continue  # the next try reads the case afresh
        return queries.ticket_from_case(command.ticket, command.order, lang)
    raise HTTPException(409, f"ticket {command.ticket_id} is being changed right now; try again")


class Assignment(BaseModel):
    assignee: str | None = Field(
        default=None, description="Whom to; the acting operator if left out"
    )


class Hold(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


class Cancellation(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class Reship(BaseModel):
    address: Address | None = Field(
        default=None,
        description="The corrected delivery address; left out, where the parcel went first",
    )


class Retry(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=500)


Lang = Annotated[str, Depends(language)]


@router.post("/tickets/{ticket_id}/resolve", status_code=202)
async def resolve_ticket(
    ticket_id: str, body: Resolution, request: Request, lang: Lang
) -> dict[str, Any]:
    command = ResolveTicket(ticket_id, body, actor(request, body.resolved_by))
    return await run(request, command, f"resolve/{ticket_id}", lang)


@router.post("/tickets/{ticket_id}/assign", status_code=202)
async def assign_ticket(
    ticket_id: str, body: Assignment, request: Request, lang: Lang
) -> dict[str, Any]:
    by = actor(request)
    return await run(request, AssignTicket(ticket_id, by, body.assignee or by), None, lang)


@router.post("/tickets/{ticket_id}/hold", status_code=202)
async def hold_ticket(ticket_id: str, body: Hold, request: Request, lang: Lang) -> dict[str, Any]:
    return await run(request, HoldTicket(ticket_id, actor(request), body.note), None, lang)


@router.post("/tickets/{ticket_id}/release", status_code=202)
async def release_ticket(ticket_id: str, request: Request, lang: Lang) -> dict[str, Any]:
    return await run(request, ReleaseTicket(ticket_id, actor(request)), None, lang)


@router.post("/tickets/{ticket_id}/cancel-order", status_code=202)
async def cancel_order(
    ticket_id: str, body: Cancellation, request: Request, lang: Lang
) -> dict[str, Any]:
    """Ask fulfillment to cancel the ticket's order: it decides (cancelled, or refused when
    goods already left), so the answer says only that it was requested."""
    command = CancelOrder(ticket_id, actor(request), body.reason)
    ticket = await run(request, command, f"cancel-order/{ticket_id}", lang)
    return {**ticket, "cancellation": "requested"}


@router.post("/tickets/{ticket_id}/reship", status_code=202)
async def reship(
    ticket_id: str, request: Request, lang: Lang, body: Annotated[Reship | None, Body()] = None
) -> dict[str, Any]:
    """Ask for the returned parcel of a returned_to_sender ticket to be sent again: inventory
    holds its units again and fulfillment plans the new parcel, which resolves the ticket.
    No cause id: a second request after a shortage is a new one, and the case refuses one
    while another is in flight, so a repeated click cannot send two parcels."""
    address = None if body is None else body.address
    command = ReshipParcel(ticket_id, actor(request), address)
    ticket = await run(request, command, None, lang)
    return {**ticket, "reship": "requested"}


@router.post("/deadletters/retry", status_code=202)
async def retry_dead_letters(body: Retry, request: Request) -> dict[str, Any]:
    """Publish each dead letter's original record to its original topic again."""
    runtime, by = runtime_of(request), actor(request)
    try:
        rows = await deadletters.load(runtime.pool, body.ids)
        records = [deadletters.original_record(row) for row in rows]
    except deadletters.DeadLetterNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except deadletters.RetryRefusedError as exc:
        raise HTTPException(409, str(exc)) from None
    try:
        await runtime.execute(deadletters.RetryDeadLetters(records))
    except IntegrityError:
        raise HTTPException(409, "some of these were being retried just now; look again") from None
    ids, counts = [r["id"] for r in rows], [r["retries"] for r in rows]
    await runtime.pool.execute(deadletters.MARK_RETRIED, ids, counts, by)
    return {"retried": sorted(body.ids), "retried_by": by}


@router.get("/queue")
async def get_queue(request: Request, f: Annotated[QueueFilter, Query()]) -> dict[str, Any]:
    f, scope = access.queue_filter(request, f), access.markets(request)
    pool = runtime_of(request).pool
    found = await queue(pool, f, datetime.now(UTC), scope)
    return await access.queue(request, pool, found)


@router.get("/tickets")
async def list_tickets(
    request: Request,
    status: str | None = None,
    reason: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> list[dict[str, Any]]:
    pool, scope = runtime_of(request).pool, access.markets(request)
    found = await queries.find_tickets(pool, status, reason, limit, markets=scope)
    return await access.tickets(request, pool, found)


@router.get("/tickets/{ticket_id}")
async def get_ticket(ticket_id: str, request: Request, lang: Lang) -> dict[str, Any]:
    found = await queries.ticket_detail(runtime_of(request).pool, ticket_id, lang)
    return access.ticket(request, found, f"no ticket {ticket_id}")


@router.get("/orders/{order_id}")
async def get_order(order_id: str, request: Request) -> dict[str, Any]:
    view = await queries.order_view(runtime_of(request).pool, order_id)
    return access.order_view(request, view, f"no events of order {order_id}")


@router.get("/orders")
async def find_order(channel: str, external_id: str, request: Request) -> dict[str, Any]:
    pool = runtime_of(request).pool
    order_id = await queries.order_id_by_reference(pool, channel, external_id)
    view = None if order_id is None else await queries.order_view(pool, order_id)
    return access.order_view(request, view, f"no order {external_id!r} from channel {channel!r}")


@router.get("/deadletters")
async def list_dead_letters(
    request: Request, limit: int = Query(50, ge=1, le=500)
) -> list[dict[str, Any]]:
    return await queries.dead_letters(runtime_of(request).pool, limit)
