"""Read models kept with asyncpg: the projection and its position change in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

import asyncpg
from aiokafka import TopicPartition

from ordo_events.envelope import Envelope, UndecodableMessage, decode
from ordo_events.topics import DEAD_LETTER
from ordo_runtime.consumer import Record

log = logging.getLogger(__name__)

POSITIONS_DDL = """
CREATE TABLE IF NOT EXISTS projection_positions (
    projection text NOT NULL,
    topic text NOT NULL,
    partition int NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (projection, topic, partition)
)
"""


class Projection(Protocol):
    name: str

    async def setup(self, conn: asyncpg.Connection) -> None: ...

    async def apply(
        self, conn: asyncpg.Connection, envelopes: Sequence[Envelope], raw: Sequence[Record]
    ) -> None:
        """Apply decoded events; `raw` holds records that are not Ordo events (e.g. dead letters)."""


class ProjectionSink:
    def __init__(self, pool: asyncpg.Pool, projection: Projection):
        self.pool, self.projection = pool, projection
        self.skipped = 0

    async def setup(self) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(POSITIONS_DDL)
            await self.projection.setup(conn)

    async def positions(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        rows = await self.pool.fetch(
            "SELECT topic, partition, position FROM projection_positions WHERE projection = $1",
            self.projection.name,
        )
        stored = {TopicPartition(r["topic"], r["partition"]): r["position"] for r in rows}
        return {tp: stored[tp] for tp in partitions if tp in stored}

    async def process(self, batches: Mapping[TopicPartition, Sequence[Record]]) -> None:
        """A poll's records from every partition in one transaction, with their positions."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT topic, partition, position FROM projection_positions"
                " WHERE projection = $1 FOR UPDATE",
                self.projection.name,
            )
            stored = {TopicPartition(r["topic"], r["partition"]): r["position"] for r in rows}
            fresh = [
                r
                for tp, records in batches.items()
                for r in records
                if tp not in stored or r.offset > stored[tp]
            ]
            if not fresh:
                return
            envelopes: list[Envelope] = []
            raw: list[Record] = []
            for record in fresh:
                if record.topic == DEAD_LETTER.name:
                    raw.append(record)  # keeps the failed event's headers: not that event
                    continue
                try:
                    envelopes.append(decode(record.value, record.headers))
                except UndecodableMessage:
                    raw.append(record)
            await self.projection.apply(conn, envelopes, raw)
            last = {(r.topic, r.partition): r.offset for r in fresh}
            await conn.execute(
                "INSERT INTO projection_positions"
                " SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS u(t, p, o)"
                " ON CONFLICT (projection, topic, partition) DO UPDATE SET position = EXCLUDED.position",
                self.projection.name,
                [t for t, _ in last],
                [p for _, p in last],
                list(last.values()),
            )
