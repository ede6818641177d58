"""The operator API: resolve tickets, and read orders, tickets and dead letters."""

from __future__ import annotations

from typing import Any, Literal

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, HTTPException, Query, Request

from ordo_runtime.http import runtime_of
from ordo_ticketing import queries
from ordo_ticketing.commands import (
    Resolution,
    ResolveRefusedError,
    ResolveTicket,
    TicketNotFoundError,
)

router = APIRouter()
CONFLICT_RETRIES = 3


@router.post("/tickets/{ticket_id}/resolve", status_code=202)
async def resolve_ticket(ticket_id: str, body: Resolution, request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    for _ in range(CONFLICT_RETRIES):  # the consumer may be writing the same case just now
        command = ResolveTicket(ticket_id, body)
        try:
            await runtime.execute(command, cause_id=f"resolve/{ticket_id}")
        except TicketNotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        except ResolveRefusedError as exc:
            raise HTTPException(409, str(exc)) from None
        except IntegrityError:
            continue  # the next try reads the case afresh: resolved by then, or not
        return queries.ticket_from_case(command.ticket)
    raise HTTPException(409, f"ticket {ticket_id} is being changed right now; try again")


@router.get("/tickets")
async def list_tickets(
    request: Request,
    status: Literal["open", "resolved"] | None = None,
    reason: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> list[dict[str, Any]]:
    return await queries.find_tickets(runtime_of(request).pool, status, reason, limit)


@router.get("/tickets/{ticket_id}")
async def get_ticket(ticket_id: str, request: Request) -> dict[str, Any]:
    pool = runtime_of(request).pool
    found = await queries.ticket(pool, ticket_id)
    if found is None:
        raise HTTPException(404, f"no ticket {ticket_id}")
    return {**found, "order_state": await queries.order_view(pool, found["order_id"])}


@router.get("/orders/{order_id}")
async def get_order(order_id: str, request: Request) -> dict[str, Any]:
    view = await queries.order_view(runtime_of(request).pool, order_id)
    if view is None:
        raise HTTPException(404, f"no events of order {order_id}")
    return view


@router.get("/orders")
async def find_order(channel: str, external_id: str, request: Request) -> dict[str, Any]:
    pool = runtime_of(request).pool
    order_id = await queries.order_id_by_reference(pool, channel, external_id)
    view = None if order_id is None else await queries.order_view(pool, order_id)
    if view is None:
        raise HTTPException(404, f"no order {external_id!r} from channel {channel!r}")
    return view


@router.get("/deadletters")
async def list_dead_letters(
    request: Request, limit: int = Query(50, ge=1, le=500)
) -> list[dict[str, Any]]:
    return await queries.dead_letters(runtime_of(request).pool, limit)
