"""What a caller may see of the read side: operators only their markets' orders and tickets,
and customer data masked for roles without the permission (ordo_runtime.auth / masking).

Out-of-market orders and tickets answer 404 like missing ones: an operator learns nothing of
orders that are not theirs, not even that they exist."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import HTTPException, Request

from ordo_runtime.auth import caller
from ordo_runtime.masking import for_caller
from ordo_ticketing import queries
from ordo_ticketing.queue import QueueFilter


def order_view(request: Request, view: dict[str, Any] | None, missing: str) -> dict[str, Any]:
    """An order's view as the caller may see it; 404 with `missing` when it may not."""
    market = None if view is None else (view.get("order") or {}).get("market")
    if view is None or not caller(request).sees(market):
        raise HTTPException(404, missing)
    shown: dict[str, Any] = for_caller(request, view)
    return shown


def ticket(request: Request, found: dict[str, Any] | None, missing: str) -> dict[str, Any]:
    if found is None or not caller(request).sees(found.get("market")):
        raise HTTPException(404, missing)
    shown: dict[str, Any] = for_caller(request, found)
    return shown


async def may_act(request: Request, db: asyncpg.Pool, ticket_id: str) -> None:
    """An operator acts only on their markets' tickets: 404 for another's, as for a missing one."""
    who = caller(request)
    if who.markets is None:
        return
    found = await queries.ticket(db, ticket_id)
    if found is None or not who.sees(found.get("market")):
        raise HTTPException(404, f"no ticket {ticket_id}")


def markets(request: Request) -> frozenset[str] | None:
    """The markets a list is kept to, in its query (None: every market). Filtering a page
    after its query would cut it short, or empty it, while the caller's tickets exist."""
    return caller(request).markets


async def tickets(
    request: Request, db: asyncpg.Pool, found: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Tickets found with `markets(request)`, as the caller may see them."""
    shown: list[dict[str, Any]] = for_caller(request, found, await orders(request, db, found))
    return shown


def queue_filter(request: Request, f: QueueFilter) -> QueueFilter:
    """The queue filter, refused for a market the caller does not work on."""
    scope = markets(request)
    if scope is not None and f.market is not None and f.market.upper() not in scope:
        raise HTTPException(403, f"you work on {', '.join(sorted(scope))}, not {f.market}")
    return f


async def queue(request: Request, db: asyncpg.Pool, found: dict[str, Any]) -> dict[str, Any]:
    """A queue found with `markets(request)`, as the caller may see it."""
    shown: dict[str, Any] = for_caller(request, found, await orders(request, db, found["items"]))
    return shown


async def orders(request: Request, db: asyncpg.Pool, items: list[dict[str, Any]]) -> list[Any]:
    """The orders of a list's items, read only for a caller who sees the list masked: a
    list holds no orders, but its free text names their customers (a ticket's instructions,
    a complaint), and those names are masked there too."""
    if caller(request).sees_customer_data:
        return []
    return await queries.orders_of(db, {i["order_id"] for i in items if i.get("order_id")})
