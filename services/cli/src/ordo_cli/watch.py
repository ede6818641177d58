"""Watching what became of the orders we sent, from the events the services publish."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from ordo_events import events as ev
from ordo_events.envelope import UndecodableMessage, decode, event_type_of
from ordo_events.topics import FULFILLMENT, ORDERS, TICKETS


class Outcome(StrEnum):
    RELEASED = "released"
    TICKET = "ticket opened"
    REJECTED = "rejected"
    PENDING = "no outcome"


# The events that put an order where it rests until someone acts (ordo_events FINAL_STATUSES).
FINAL_EVENTS: dict[str, Outcome] = {
    ev.OrderReadyForFulfillment.__name__: Outcome.RELEASED,
    ev.TicketOpened.__name__: Outcome.TICKET,
    ev.OrderRejected.__name__: Outcome.REJECTED,
}
WATCHED_TOPICS = (FULFILLMENT.name, TICKETS.name, ORDERS.name)


@dataclass(frozen=True)
class Observed:
    outcome: Outcome
    at: float  # time.perf_counter() when this process saw the event


class OutcomeWatcher:
    """Follows the outcome topics from their end offsets at start(), so only what happens
    after that counts; no consumer group, so nothing is left behind on the broker."""

    def __init__(self, bootstrap: str, expected: Iterable[str]) -> None:
        self.expected = set(expected)
        self.outcomes: dict[str, Observed] = {}
        self.tickets = 0
        self._bootstrap = bootstrap
        self._consumer: AIOKafkaConsumer | None = None

    @property
    def pending(self) -> int:
        return len(self.expected) - len(self.outcomes)

    async def start(self) -> None:
        consumer = self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            enable_auto_commit=False,
            # The default 500 ms fetch wait added ~100 ms to every latency it measured.
            fetch_max_wait_ms=100,
        )
        await consumer.start()
        await consumer.topics()  # fetches metadata for every topic, not just subscribed ones
        partitions = []
        for topic in WATCHED_TOPICS:
            found = consumer.partitions_for_topic(topic)
            if not found:
                raise LookupError(f"topic {topic} does not exist: is Ordo up?")
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(partitions)
        for tp, offset in (await consumer.end_offsets(partitions)).items():
            consumer.seek(tp, offset)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def poll(self, timeout_ms: int = 200) -> int:
        """Read what has arrived; returns how many orders settled in this call."""
        if self._consumer is None:
            raise RuntimeError("start() the watcher first")
        batches = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=5000)
        now, settled = time.perf_counter(), 0
        for records in batches.values():
            for record in records:
                settled += self.observe(record.value, record.headers, now)
        return settled

    def observe(self, value: bytes | None, headers: Iterable[tuple[str, bytes]], now: float) -> int:
        """Take one record in; 1 if it settled one of our orders."""
        headers = list(headers)
        outcome = FINAL_EVENTS.get(event_type_of(headers) or "")
        if outcome is None:
            return 0  # OrderReceived and the like: skipped without parsing the value
        try:
            order_id = decode(value, headers).data.order_id
        except UndecodableMessage:
            return 0
        if order_id not in self.expected:
            return 0
        if outcome is Outcome.TICKET:
            self.tickets += 1
        if order_id in self.outcomes:
            return 0
        self.outcomes[order_id] = Observed(outcome, now)
        return 1
