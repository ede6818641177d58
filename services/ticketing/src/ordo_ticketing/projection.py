"""The operator's read model: every order's events, its status, the tickets and dead letters.

Kept with asyncpg; the runtime calls `apply` inside the transaction that also stores the
projection's position, so each batch lands once. Every write is one statement per batch.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from ordo_events import events as ev
from ordo_events.envelope import Envelope, decode
from ordo_events.order import order_id_for
from ordo_events.state import OrderState
from ordo_events.topics import DEAD_LETTER, ORDER_HISTORY, Topic
from ordo_runtime.consumer import Record
from ordo_ticketing.tables import (
    INSERT_DEAD_LETTERS,
    INSERT_EVENTS,
    SCHEMA,
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
            await self._orders(conn, {r["order_id"] for r in inserted})
        letters = [r for r in raw if r.topic == DEAD_LETTER.name]
        if letters:
            await conn.execute(INSERT_DEAD_LETTERS, *columns(map(dead_letter_row, letters)))

    async def _tickets(self, conn: asyncpg.Connection, envelopes: Sequence[Envelope]) -> None:
        # Keyed by ticket: one statement may not upsert the same row twice.
        opened: dict[str, tuple[Any, ...]] = {}
        resolved: dict[str, tuple[Any, ...]] = {}
        corrected: dict[str, tuple[Any, ...]] = {}
        for e in envelopes:
            match e.data:
                case ev.TicketOpened(ticket_id=tid, order_id=oid) as t:
                    issues = json.dumps([i.model_dump(mode="json") for i in t.issues])
                    row = (t.reason, t.stage, t.severity, t.instructions, issues, e.time)
                    opened[tid] = (tid, oid, *row)
                case ev.TicketResolved(ticket_id=tid, order_id=oid) as t:
                    resolved[tid] = (tid, oid, t.resolved_by, t.resolution, e.time)
                case ev.OrderCorrected(ticket_id=tid, order_id=oid) as t:
                    corrected[tid] = (tid, oid, t.correction.model_dump_json())
        # Opened before resolved: both may be in one batch (they share a partition, in order).
        for sql, rows in (
            (UPSERT_OPENED, opened),
            (UPSERT_RESOLVED, resolved),
            (UPSERT_CORRECTIONS, corrected),
        ):
            if rows:
                await conn.execute(sql, *columns(rows.values()))

    async def _orders(self, conn: asyncpg.Connection, order_ids: set[str]) -> None:
        """Refold each order that got a new event, for its status in the orders table."""
        if not order_ids:
            return
        histories = await load_histories(conn, sorted(order_ids))
        rows = [order_row(order_id, history) for order_id, history in histories.items()]
        await conn.execute(UPSERT_ORDERS, *columns(rows))


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


def order_row(order_id: str, history: list[Envelope]) -> tuple[Any, ...]:
    state = OrderState.fold(order_id, history)
    channel = external_id = None
    for e in history:
        if isinstance(e.data, ev.OrderReceived | ev.OrderCorrected):
            channel, external_id = e.data.order.channel, e.data.order.external_id
        elif isinstance(e.data, ev.OrderRejected) and channel is None:
            channel, external_id = e.data.channel, e.data.external_id
    # Keep the channel reference only where it derives this order id: then no two orders can
    # claim it, and the unique constraint can never stop the projection.
    if channel is None or external_id is None or order_id_for(channel, external_id) != order_id:
        external_id = None
    return (order_id, channel, external_id, state.status.value, max(e.time for e in history))


def event_row(e: Envelope) -> tuple[Any, ...]:
    headers = json.dumps({k: v.decode() for k, v in e.headers()})
    return (e.id, e.subject, e.type, e.time, e.source, headers, e.value().decode())


def dead_letter_row(record: Record) -> tuple[Any, ...]:
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
    )


def columns(rows: Iterable[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows to per-column lists, the shape `unnest` takes: one round trip for a whole batch."""
    return [list(column) for column in zip(*rows, strict=True)]
