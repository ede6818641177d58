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
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from ordo_runtime.leadership import lead, wait_for
from ordo_runtime.outbox import OUTGOING_TOPIC, Outgoing
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
        # The stored bytes are all it sends: no Outgoing object, no decoding, per record.
        self.tail: Tail[bytes] = Tail(app, [OUTGOING_TOPIC], lambda n, _: n.state)

    async def run(self, stop: asyncio.Event) -> None:
        await lead(self.database_url, RELAY_LOCK_KEY, stop, lambda: self._relay(stop))

    async def _relay(self, stop: asyncio.Event) -> None:
        self.leader = True
        with self.tail.following():  # noted from now on; what came before is read
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
            step = await asyncio.to_thread(self.tail.step, position, self.batch)
            if step.records:
                await self._publish(step.records)
                self.published += len(step.records)
            position = step.end
            # The position is stored at most every STORE_EVERY_S: after a crash the relay
            # republishes at most that much, with the same event ids, which consumers skip.
            now = time.monotonic()
            if position > self.stored and (flush or now - self.stored_at >= STORE_EVERY_S):
                await asyncio.to_thread(
                    self.app.process_recorder.insert_tracking,
                    with_tracking(TRACKING_NAME, position),
                )
                self.stored, self.stored_at = position, now
            if step.at_head:
                return position

    async def _publish(self, states: Sequence[bytes]) -> None:
        futures = []
        for state in states:
            topic, key, value, headers = Outgoing.kafka_record(state)
            futures.append(await self.producer.send(topic, value, key=key, headers=headers))
        await asyncio.gather(*futures)
