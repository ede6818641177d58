"""The one consumer loop: batches per partition, positions kept in the service's database.

Kafka's committed offsets are only a hint. On every assignment the consumer seeks to the
position its sink stored in the same transaction as the state, so a batch is applied once
however often Kafka redelivers it. The same seek leaves a batch to a later poll when the
sink cannot apply it yet (a conflict that outlasted its retries): nothing is lost, nothing
applied twice, and the consumer carries on with its other partitions while those pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Collection, Mapping, Sequence
from typing import Protocol, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord

from ordo_runtime.settings import Settings

log = logging.getLogger(__name__)
Record: TypeAlias = ConsumerRecord[bytes, bytes]
# After a conflict that outlasted the sink's own retries: the other writer usually finishes
# within this; a random share of it keeps two contending replicas from retrying in step.
CONFLICT_PAUSE_S = 1.0
# How long a consumer that holds no partitions (its group still forming) waits for aiokafka's
# stop, which first lets a join in progress finish: up to the broker's rebalance delay.
EARLY_STOP_S = 1.0


class ConflictError(Exception):
    """A sink's writes kept conflicting with another writer's. What it applied is stored;
    the consumer retries the rest after a pause: of the partitions named, or of the whole
    poll when none are."""

    def __init__(self, message: str, partitions: Collection[TopicPartition] = ()):
        super().__init__(message)
        self.partitions = frozenset(partitions)


class BatchSink(Protocol):
    async def positions(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """The last offset applied per partition (absent: none yet)."""

    async def process(self, batches: Mapping[TopicPartition, Sequence[Record]]) -> None:
        """Apply a poll's records and store each partition's new position, atomically.
        Raises ConflictError when it cannot now; what it stored before stays applied."""


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: BatchConsumer):
        self.owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Let the batch in flight finish, so the next owner starts after it.
        async with self.owner.busy:
            pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.owner.seek_to_stored(assigned)


class BatchConsumer:
    def __init__(
        self,
        group: str,
        topics: Sequence[str],
        sink: BatchSink,
        settings: Settings,
        conflict_pause_s: float = CONFLICT_PAUSE_S,
    ):
        self.group, self.topics, self.sink, self.settings = group, list(topics), sink, settings
        self.conflict_pause_s = conflict_pause_s
        self.busy = asyncio.Lock()
        self.assigned = asyncio.Event()
        self.processed = 0
        self.conflicts = 0  # polls left to a later one after a ConflictError
        self._consumer: AIOKafkaConsumer | None = None
        self._uncommitted: dict[TopicPartition, int] = {}
        self._committed_at = 0.0
        self._resumes: set[asyncio.TimerHandle] = set()

    def assignment(self) -> list[str]:
        """The partitions this member holds now, as "topic:partition" (for /metrics)."""
        if self._consumer is None:
            return []
        return sorted(f"{tp.topic}:{tp.partition}" for tp in self._consumer.assignment())

    async def seek_to_stored(self, partitions: set[TopicPartition]) -> None:
        if not partitions or self._consumer is None:
            return
        stored = await self.sink.positions(sorted(partitions))
        log.info("%s assigned %s; stored positions %s", self.group, sorted(partitions), stored)
        for tp in partitions:
            if tp in stored:
                self._consumer.seek(tp, stored[tp] + 1)
            else:
                await self._consumer.seek_to_beginning(tp)
        self.assigned.set()

    async def run(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=self.group,
            client_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.settings.batch_max,
            fetch_max_wait_ms=self.settings.fetch_wait_ms,
            fetch_min_bytes=self.settings.fetch_min_bytes,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        self._consumer = consumer
        await consumer.start()
        consumer.subscribe(self.topics, listener=_Rebalance(self))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                poll = asyncio.ensure_future(
                    consumer.getmany(timeout_ms=200, max_records=self.settings.batch_max)
                )
                # getmany ignores its timeout while a rebalance is in progress, and with the
                # broker gone one never ends: a stop must not wait for it.
                await asyncio.wait((poll, stopping), return_when=asyncio.FIRST_COMPLETED)
                if not poll.done():
                    poll.cancel()
                    break
                batches = poll.result()
                if not batches:
                    continue
                try:
                    await self._apply(consumer, batches)
                except ConflictError as exc:
                    held = await self._rewind(consumer, batches, exc)
                    self._pause(consumer, held & exc.partitions if exc.partitions else held)
        finally:
            stopping.cancel()
            for timer in self._resumes:
                timer.cancel()
            holding = self.assigned.is_set()
            self.assigned.clear()
            if self._uncommitted:
                with contextlib.suppress(KafkaError, CommitFailedError, IllegalStateError):
                    await consumer.commit(self._uncommitted)
            if holding:
                await consumer.stop()  # leaves the group, so the others take over at once
            else:
                # Nothing to hand over: a join still in flight is abandoned, not awaited.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(EARLY_STOP_S):
                        await consumer.stop()

    async def _apply(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[Record]]
    ) -> None:
        async with self.busy:
            owned = {tp: rs for tp, rs in batches.items() if rs and tp in consumer.assignment()}
            if owned:
                await self.sink.process(owned)
                self.processed += sum(len(rs) for rs in owned.values())
        self._uncommitted.update({tp: rs[-1].offset + 1 for tp, rs in owned.items()})
        now = time.monotonic()
        if self._uncommitted and now - self._committed_at >= self.settings.kafka_commit_interval_s:
            # Only a hint for lag monitoring (the database holds the position), so once a
            # second is plenty and saves a broker round trip per poll.
            offsets, self._uncommitted, self._committed_at = self._uncommitted, {}, now
            try:
                await consumer.commit(offsets)
            except (CommitFailedError, IllegalStateError, KafkaError) as exc:
                # Harmless: the database holds the true position and the next owner seeks to it.
                log.info("offset commit skipped for %s: %s", self.group, exc)

    def _pause(self, consumer: AIOKafkaConsumer, partitions: Collection[TopicPartition]) -> None:
        """Fetch nothing more from `partitions` for a while (see CONFLICT_PAUSE_S); the
        others carry on meanwhile."""
        consumer.pause(*partitions)
        delay = random.uniform(self.conflict_pause_s / 2, self.conflict_pause_s)
        timer = asyncio.get_running_loop().call_later(delay, self._resume, consumer, partitions)
        self._resumes.add(timer)

    def _resume(self, consumer: AIOKafkaConsumer, partitions: Collection[TopicPartition]) -> None:
        now = asyncio.get_running_loop().time()
        self._resumes = {t for t in self._resumes if t.when() > now}  # this one has fired
        # A partition revoked meanwhile has no pause left to lift (its next owner seeks).
        owned = consumer.assignment()
        with contextlib.suppress(IllegalStateError):
            consumer.resume(*(tp for tp in partitions if tp in owned))

    async def _rewind(
        self,
        consumer: AIOKafkaConsumer,
        batches: dict[TopicPartition, list[Record]],
        conflict: ConflictError,
    ) -> set[TopicPartition]:
        """Seek each partition of a poll the sink refused back to just after its stored
        position, so a later poll brings again exactly the records not applied. Returns
        the poll's partitions this member still holds."""
        self.conflicts += 1
        async with self.busy:
            held = sorted(tp for tp, rs in batches.items() if rs and tp in consumer.assignment())
            stored = await self.sink.positions(held)
            for tp in held:
                consumer.seek(tp, stored[tp] + 1 if tp in stored else batches[tp][0].offset)
            self.processed += sum(
                1 for tp in held for r in batches[tp] if r.offset <= stored.get(tp, -1)
            )
        log.warning("%s: %s; retrying %s from the stored positions", self.group, conflict, held)
        return set(held)
