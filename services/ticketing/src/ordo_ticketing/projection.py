"""The operator's read model: every order's events, its status, the tickets and dead letters.

Kept with asyncpg; the runtime calls `apply` inside the transaction that also stores the
projection's position, so each batch lands once. Every write is one statement per batch.
An order's status is kept incrementally: its row holds OrderState's status fields, and a batch
applies only its new events to them, so no history is read or decoded again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from ordo_events import events as ev
from ordo_events.envelope import Envelope, decode
from ordo_events.order import order_id_for
from ordo_events.state import OrderState, evolve
from ordo_events.topics import DEAD_LETTER, ORDER_HISTORY, Topic
from ordo_runtime.consumer import Record
from ordo_ticketing.instructions import render_again
from ordo_ticketing.tables import (
    FILL_TICKET_MARKETS,
    INSERT_DEAD_LETTERS,
    INSERT_EVENTS,
    SCHEMA,
    SELECT_ORDER_STATES,
    UPDATE_CHANGES,
    UPDATE_INSTRUCTIONS,
    UPSERT_CORRECTIONS,
    UPSERT_OPENED,
    UPSERT_ORDERS,
    UPSERT_RESOLVED,
)

MAX_DEAD_LETTER_TEXT = 20_000  # enough to see what was wrong; the full record stays in Kafka


class OrderProjection:
    name = "projection"
    topics: tuple[Topic, ...] = (*ORDER_HISTORY, DEAD_LETTER)

    async def setup(self, conn: asyncpg.Connection) -> None:
        await conn.execute(SCHEMA)

    async def apply(
        self, conn: asyncpg.Connection, envelopes: Sequence[Envelope], raw: Sequence[Record]
    ) -> None:
        fresh = list({e.id: e for e in envelopes}.values())  # a relay duplicate in one batch
        if fresh:
            inserted = await conn.fetch(INSERT_EVENTS, *columns(map(event_row, fresh)))
            await self._tickets(conn, fresh)
            # Only events stored just now: one already in order_events is already in the status.
            new = {r["event_id"] for r in inserted}
            await self._orders(conn, [e for e in fresh if e.id in new])
            unplaced = [e.subject for e in fresh if _places_a_ticket(e.data)]
            if unplaced:
                await self._place_tickets(conn, list(set(unplaced)))
        # A refused order's letter is left out: its order_rejected ticket already asks for it.
        letters = [r for r in raw if r.topic == DEAD_LETTER.name and not _rejected(r)]
        if letters:
            await conn.execute(INSERT_DEAD_LETTERS, *columns(map(dead_letter_row, letters)))

    async def _tickets(self, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
        # Keyed by ticket: one statement may not upsert the same row twice.
        opened: dict[str, tuple[Any, ...]] = {}
        resolved: dict[str, tuple[Any, ...]] = {}
        corrected: dict[str, tuple[Any, ...]] = {}
        changes: dict[str, tuple[str, str | None, str]] = {}
        for e in envelopes:
            match e.data:
                case ev.TicketOpened(ticket_id=tid, order_id=oid) as t:
                    issues = json.dumps([i.model_dump(mode="json") for i in t.issues])
                    row = (t.reason, t.stage, t.severity, t.instructions, issues, e.time)
                    extra = (t.channel, t.market, t.sla_due, json.dumps(t.details))
                    opened[tid] = (tid, oid, *row, *extra)
                case (
                    ev.TicketAssigned(ticket_id=tid)
                    | ev.TicketHeld(ticket_id=tid)
                    | ev.TicketReleased(ticket_id=tid)
                    | ev.TicketCancelled(ticket_id=tid)
                ):
                    changes[tid] = fold_change(changes.get(tid), e.data)
                case ev.TicketResolved(ticket_id=tid, order_id=oid) as t:
                    resolved[tid] = (tid, oid, t.resolved_by, t.resolution, e.time)
                case ev.OrderCorrected(ticket_id=tid, order_id=oid) as t:
                    corrected[tid] = (tid, oid, t.correction.model_dump_json())
        # Opened first, resolved after the changes: all may be in one batch (they share a
        # partition, in order), and resolving is the last thing that happens to a ticket.
        changed = {tid: (tid, *change) for tid, change in changes.items()}
        for sql, rows in (
            (UPSERT_OPENED, opened),
            (UPDATE_CHANGES, changed),
            (UPSERT_RESOLVED, resolved),
            (UPSERT_CORRECTIONS, corrected),
        ):
            if rows:
                await conn.execute(sql, *columns(rows.values()))

    async def _place_tickets(self, conn: asyncpg.Connection, order_ids: list[str]) -> None:
        """Tickets opened before their order take its market and channel, and instructions
        rendered with it, as the order view shows it; one statement each, for the batch."""
        placed = await conn.fetch(FILL_TICKET_MARKETS, order_ids)
        if not placed:
            return
        histories = await load_histories(conn, list({row["order_id"] for row in placed}))
        rendered = []
        for row in placed:
            order = OrderState.fold(row["order_id"], histories[row["order_id"]]).order
            ticket = {
                **row,
                "issues": json.loads(row["issues"]),
                "details": json.loads(row["details"]),
            }
            text = None if order is None else render_again(ticket, order)
            if text is not None:  # else it keeps what it says
                rendered.append((row["ticket_id"], text))
        if rendered:
            await conn.execute(UPDATE_INSTRUCTIONS, *columns(rendered))

    async def _orders(self, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
        """Move each order that got new events on from the status fields its row holds."""
        if not envelopes:
            return
        by_order: dict[str, list[Envelope]] = defaultdict(list)
        for e in envelopes:
            by_order[e.subject].append(e)
        rows = await conn.fetch(SELECT_ORDER_STATES, list(by_order))
        known = {row["order_id"]: row for row in rows}
        updates = [order_row(oid, known.get(oid), new) for oid, new in by_order.items()]
        await conn.execute(UPSERT_ORDERS, *columns(updates))


def fold_change(
    before: tuple[str, str | None, str] | None, event: ev.Event
) -> tuple[str, str | None, str]:
    """One batch's status changes of a ticket as one: (status or marker, assignee, by).
    'assign' and 'released' are settled against the row in UPDATE_CHANGES."""
    status, assignee = (None, None) if before is None else before[:2]
    match event:
        case ev.TicketAssigned(assignee=who, assigned_by=by):
            if status == "on_hold":
                return "on_hold", who, by
            return ("assign" if status is None or status == "assign" else "assigned"), who, by
        case ev.TicketHeld(held_by=by):
            return "on_hold", assignee, by
        case ev.TicketReleased(released_by=by):
            return ("released" if assignee is None else "assigned"), assignee, by
        case ev.TicketCancelled(cancelled_by=by):
            return "cancelled", assignee, by
    raise TypeError(f"not a ticket change: {type(event).__name__}")


async def load_histories(
    conn: asyncpg.Connection | asyncpg.Pool, order_ids: Sequence[str]
) -> dict[str, list[Envelope]]:
    rows = await conn.fetch(
        "SELECT order_id, headers, data FROM order_events WHERE order_id = ANY($1) ORDER BY seq",
        list(order_ids),
    )
    histories: dict[str, list[Envelope]] = defaultdict(list)
    for row in rows:
        headers = [(k, v.encode()) for k, v in json.loads(row["headers"]).items()]
        histories[row["order_id"]].append(decode(row["data"].encode(), headers))
    return histories


def stored_state(order_id: str, row: asyncpg.Record | None) -> OrderState:
    """The status part of an order's state (no order, no timeline), as its row keeps it."""
    if row is None:
        return OrderState(order_id)
    return OrderState(
        order_id=order_id,
        received=row["received"],
        rejected=row["rejected"],
        validated=row["validated"],
        reserved=row["reserved"],
        payment=row["payment"],
        released=row["released"],
        open_tickets=frozenset(row["open_tickets"]),
        notified=frozenset(row["notified"]),
        cancelled=row["cancelled"],
        shipments=tuple((sid, status) for sid, status in json.loads(row["shipments"])),
    )


def order_row(order_id: str, row: asyncpg.Record | None, new: list[Envelope]) -> tuple[Any, ...]:
    # In time order, as OrderState.fold: one order's events come from several topics. Across
    # batches arrival order is enough: each field is written from one topic, keyed by order id.
    ordered = sorted(new, key=lambda e: e.time)
    state = stored_state(order_id, row)
    for e in ordered:
        state = evolve(e.data, state)  # not state.apply: the timeline is not kept here
    channel, external_id = reference(order_id, ordered)
    return (
        order_id,
        channel,
        external_id,
        state.status.value,
        ordered[-1].time,
        state.received,
        state.rejected,
        state.validated,
        state.reserved,
        state.payment,
        state.released,
        json.dumps(sorted(state.open_tickets)),
        json.dumps(sorted(state.notified)),
        state.cancelled,
        json.dumps(state.shipments),
        market_of(ordered),
    )


# The events that carry the whole order, and so its market.
CARRY_ORDER = (ev.OrderReceived, ev.OrderCorrected, ev.OrderRevisionAccepted)


def _places_a_ticket(event: ev.Event) -> bool:
    """An order's market arriving, or a ticket opened without one."""
    if isinstance(event, ev.TicketOpened):
        return event.market is None
    return isinstance(event, CARRY_ORDER)


def market_of(new: Sequence[Envelope]) -> str | None:
    """The market the newest event carrying the order names, or none (the row keeps its own)."""
    for e in reversed(new):
        if isinstance(e.data, CARRY_ORDER):
            return e.data.order.market
    return None


def reference(order_id: str, new: Sequence[Envelope]) -> tuple[str | None, str | None]:
    """The channel reference the new events name, or none (the row keeps the one it has).

    Kept only where it derives this order id: then no two orders can claim it, the unique
    constraint can never stop the projection, and every event naming one names the same.
    """
    for e in reversed(new):
        match e.data:
            case ev.OrderReceived(order=o) | ev.OrderCorrected(order=o):
                channel, external_id = o.channel, o.external_id
            case ev.OrderRejected(channel=channel, external_id=str(external_id)):
                pass
            case _:
                continue
        if order_id_for(channel, external_id) == order_id:
            return channel, external_id
    return None, None


def event_row(e: Envelope) -> tuple[Any, ...]:
    headers = orjson.dumps(dict(e.header_items())).decode()
    return (e.id, e.subject, e.type, e.time, e.source, headers, e.value().decode())


def _rejected(record: Record) -> bool:
    return any(k == "dlq_kind" and v == b"rejected" for k, v in record.headers)


def dead_letter_row(record: Record) -> tuple[Any, ...]:
    # `payload` keeps the value's bytes whole, for a retry; `value` is for reading.
    headers = {k: (v or b"").decode("utf-8", "replace") for k, v in record.headers}
    value = (record.value or b"").decode("utf-8", "replace")[:MAX_DEAD_LETTER_TEXT]
    return (
        f"{record.topic}/{record.partition}/{record.offset}",
        datetime.fromtimestamp(record.timestamp / 1000, UTC),
        headers.get("dlq_reason"),
        headers.get("dlq_service"),
        headers.get("dlq_origin"),
        headers.get("ce_type"),
        None if record.key is None else record.key.decode("utf-8", "replace"),
        value,
        json.dumps(headers),
        headers.get("ce_subject"),
        record.value or b"",
    )


def columns(rows: Iterable[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows to per-column lists, the shape `unnest` takes: one round trip for a whole batch."""
    return [list(column) for column in zip(*rows, strict=True)]
