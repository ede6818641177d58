"""The outbox relay: follows the service's notification log and publishes Outgoing records.

At least once: records are produced and acknowledged before the relay's position is stored,
so a crash in between republishes them with the same CloudEvent ids, which consumers skip.
One relay per database publishes at a time (a PostgreSQL advisory lock), which keeps each
order's events in the order they were stored.

What this process writes, the leading relay takes from memory (tail.py) instead of reading it
back; the log is read whenever the write that comes next is not there.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import Recording

from ordo_runtime.leadership import lead, wait_for
from ordo_runtime.outbox import OUTGOING_TOPIC, Outgoing
from ordo_runtime.recorder import Page
from ordo_runtime.store import ServiceApplication, with_tracking
from ordo_runtime.tail import Tail

log = logging.getLogger(__name__)
RELAY_LOCK_KEY = 7_305_112  # any constant: one advisory lock per service database
TRACKING_NAME = "outbox-relay"
STORE_EVERY_S = 0.25


class Relay:
    def __init__(
        self,
        app: ServiceApplication,
        producer: AIOKafkaProducer,
        database_url: str,
        batch: int = 1000,
        idle_s: float = 0.025,
    ):
        self.app, self.producer, self.database_url = app, producer, database_url
        self.batch, self.idle_s = batch, idle_s
        self.wake = asyncio.Event()
        self.published = 0
        self.leader = False
        self.stored = 0
        self.stored_at = 0.0
        self.tail: Tail[bytes] = Tail(_outgoing_state)
        self.read_back = 0  # records read from the log rather than taken from the tail

    async def run(self, stop: asyncio.Event) -> None:
        await lead(self.database_url, RELAY_LOCK_KEY, stop, lambda: self._relay(stop))

    async def _relay(self, stop: asyncio.Event) -> None:
        self.leader = True
        with self.tail.following(self.app):  # noted from now on; what came before is read
            position = await asyncio.to_thread(self.app.position, TRACKING_NAME) or 0
            self.stored = position
            while not stop.is_set():
                position = await self._pump(position)
                if not self.wake.is_set():
                    await wait_for(self.wake, self.idle_s)
                self.wake.clear()
            await self._pump(position, flush=True)  # what the last batches stored

    async def _pump(self, position: int, flush: bool = False) -> int:
        while True:
            write = self.tail.after(position)
            if write is not None:
                end, states = write
            else:
                page = await asyncio.to_thread(self._select, position)
                end, states = page.end, [n.state for n in page.notifications]
                self.tail.drop_to(end)
                self.read_back += len(states)
            if states:
                await self._publish(states)
                self.published += len(states)
            position = end
            # The position is stored at most every STORE_EVERY_S: after a crash the relay
            # republishes at most that much, with the same event ids, which consumers skip.
            now = time.monotonic()
            if position > self.stored and (flush or now - self.stored_at >= STORE_EVERY_S):
                await asyncio.to_thread(
                    self.app.process_recorder.insert_tracking,
                    with_tracking(TRACKING_NAME, position),
                )
                self.stored, self.stored_at = position, now
            if write is None and not states:
                return position

    def _select(self, position: int) -> Page:
        return self.app.follow(position, self.batch, [OUTGOING_TOPIC])

    async def _publish(self, states: Sequence[bytes]) -> None:
        futures = []
        for state in states:
            # Straight from the stored bytes: the relay needs no Outgoing object per record.
            topic, key, value, headers = Outgoing.kafka_record(state)
            futures.append(await self.producer.send(topic, value, key=key, headers=headers))
        await asyncio.gather(*futures)


def _outgoing_state(recording: Recording[uuid.UUID]) -> bytes | None:
    notification = recording.notification
    return notification.state if notification.topic == OUTGOING_TOPIC else None
