"""Read models kept with asyncpg: the projection and its position change in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
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

    async def process(self, tp: TopicPartition, records: Sequence[Record]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            stored = await conn.fetchval(
                "SELECT position FROM projection_positions"
                " WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE",
                self.projection.name,
                tp.topic,
                tp.partition,
            )
            fresh = [r for r in records if stored is None or r.offset > stored]
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
            await conn.execute(
                "INSERT INTO projection_positions VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (projection, topic, partition) DO UPDATE SET position = $4",
                self.projection.name,
                tp.topic,
                tp.partition,
                fresh[-1].offset,
            )
