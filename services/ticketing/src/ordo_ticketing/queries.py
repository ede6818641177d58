"""Reads over the projection's tables, shaped as the operator API answers them."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import asyncpg

from ordo_events.order import CanonicalOrder
from ordo_events.state import OrderState
from ordo_ticketing.instructions import DEFAULT_LANGUAGE, render_again
from ordo_ticketing.projection import load_histories

TICKET_COLUMNS = (
    "ticket_id, order_id, reason, stage, severity, status, instructions, issues, opened_at,"
    " resolved_at, resolved_by, resolution, correction, channel, market, assignee, sla_due,"
    " details"
)


async def order_view(db: asyncpg.Pool | asyncpg.Connection, order_id: str) -> dict[str, Any] | None:
    """The order's state, folded from its events; None when no event of it has arrived."""
    history = (await load_histories(db, [order_id])).get(order_id)
    if not history:
        return None
    state = OrderState.fold(order_id, history)
    open_tickets = await db.fetch(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE ticket_id = ANY($1) ORDER BY opened_at",
        sorted(state.open_tickets),
    )
    return {
        "order_id": order_id,
        "status": state.status.value,
        "order": None if state.order is None else state.order.model_dump(mode="json"),
        "validated": state.validated,
        "reserved": state.reserved,
        "payment": state.payment,
        "released": state.released,
        "not_collected": str(state.not_collected),
        "cancellation": state.cancellation,  # requested | refused | cancelled | None
        "open_tickets": [ticket_json(row) for row in open_tickets],
        "timeline": [
            {"time": t.time.isoformat(), "type": t.type, "source": t.source, "summary": t.summary}
            for t in state.timeline
        ],
    }


async def orders_of(
    db: asyncpg.Pool | asyncpg.Connection, order_ids: Collection[str]
) -> list[dict[str, Any]]:
    """Every version of these orders the read model holds (received, revised, corrected)."""
    rows = await db.fetch(
        "SELECT data->'order' AS o FROM order_events"
        " WHERE order_id = ANY($1) AND jsonb_typeof(data->'order') = 'object'",
        sorted(order_ids),
    )
    return [json.loads(row["o"]) for row in rows]


async def order_id_by_reference(
    db: asyncpg.Pool | asyncpg.Connection, channel: str, external_id: str
) -> str | None:
    found: str | None = await db.fetchval(
        "SELECT order_id FROM orders WHERE channel = $1 AND external_id = $2",
        channel,
        external_id,
    )
    return found


async def find_tickets(
    db: asyncpg.Pool | asyncpg.Connection,
    status: str | None = None,
    reason: str | None = None,
    limit: int = 50,
    markets: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """The newest `limit` tickets, only of `markets` when given (None: every market). The
    markets are part of the query, so the limit counts only tickets the caller may see."""
    rows = await db.fetch(
        f"SELECT {TICKET_COLUMNS} FROM tickets"
        " WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR reason = $2)"
        " AND ($4::text[] IS NULL OR upper(market) = ANY($4::text[]))"
        " ORDER BY opened_at DESC NULLS LAST, ticket_id LIMIT $3",
        status,
        reason,
        limit,
        None if markets is None else sorted(markets),
    )
    return [ticket_json(row) for row in rows]


async def ticket(db: asyncpg.Pool | asyncpg.Connection, ticket_id: str) -> dict[str, Any] | None:
    row = await db.fetchrow(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE ticket_id = $1", ticket_id)
    return None if row is None else ticket_json(row)


async def ticket_detail(
    db: asyncpg.Pool | asyncpg.Connection, ticket_id: str, language: str = DEFAULT_LANGUAGE
) -> dict[str, Any] | None:
    """The ticket, its instructions in `language`, and its order's state with the timeline."""
    found = await ticket(db, ticket_id)
    if found is None:
        return None
    state = await order_view(db, found["order_id"])
    order_json = None if state is None else state["order"]
    order = None if order_json is None else CanonicalOrder.model_validate(order_json)
    found["instructions"] = localized(found, order, language)
    return {**found, "language": language, "order_state": state}


def localized(found: dict[str, Any], order: CanonicalOrder | None, language: str) -> str:
    """The instructions rendered again in the operator's language, from what the ticket was
    opened with and the order as it is now; the stored English text when that cannot be."""
    stored: str = found["instructions"] or ""
    if language == DEFAULT_LANGUAGE and not found.get("details"):
        return stored
    return render_again(found, order, language) or stored


async def dead_letters(db: asyncpg.Pool | asyncpg.Connection, limit: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT id, received_at, reason, service, origin, type, key, value, headers, subject,"
        " retries, retried_at, retried_by"
        " FROM dead_letters ORDER BY received_at DESC, id DESC LIMIT $1",
        limit,
    )
    return [
        {
            **dict(row),
            "received_at": row["received_at"].isoformat(),
            "retried_at": None if row["retried_at"] is None else row["retried_at"].isoformat(),
            "headers": json.loads(row["headers"]),
        }
        for row in rows
    ]


def ticket_json(row: asyncpg.Record) -> dict[str, Any]:
    out = dict(row)
    out["issues"] = json.loads(row["issues"])
    out["correction"] = None if row["correction"] is None else json.loads(row["correction"])
    out["details"] = json.loads(row["details"])
    for name in ("opened_at", "resolved_at", "sla_due"):
        out[name] = None if row[name] is None else row[name].isoformat()
    return out


def ticket_from_case(
    ticket: dict[str, Any], order: CanonicalOrder | None, language: str = DEFAULT_LANGUAGE
) -> dict[str, Any]:
    """A ticket as the Case aggregate holds it, in the same shape as `ticket_json`. The case
    keeps the text the ticket was opened with, which the read model renders again once the
    order is known (a ticket opened before its order could not name the customer): its
    instructions are rendered as `ticket_detail` renders them, with the case's order."""
    keys = ("opened_at", "resolved_at", "sla_due")
    times = {k: ticket[k].isoformat() if ticket.get(k) else None for k in keys}
    return {**ticket, **times, "instructions": localized(ticket, order, language)}
