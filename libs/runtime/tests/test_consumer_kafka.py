"""The consumer loop on a real Kafka-protocol broker (embedded Tansu), with an in-memory sink
that stores its positions as a service's database does."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from ordo_devstack.kafka import EmbeddedKafka, ensure_topics
from ordo_events.topics import Topic
from ordo_runtime.consumer import BatchConsumer, ConflictError, Record
from ordo_runtime.settings import Settings

pytestmark = pytest.mark.integration
TOPIC = Topic("ordo.test.conflicts", writer="this test", event_types=(), partitions=2)


@pytest.fixture(scope="module")
def bootstrap() -> Iterator[str]:
    broker = EmbeddedKafka(Path(tempfile.mkdtemp(prefix="ordo-consumer-kafka-")))
    try:
        yield broker.bootstrap
    finally:
        broker.close()


class ConflictingSink:
    """Applies records one at a time, storing each one's offset as its partition's position
    (as the processor does once it falls back to single records). The first time it meets
    `conflict_at` it raises ConflictError, with the records before it applied and stored."""

    def __init__(self, conflict_at: tuple[int, int]):
        self.conflict_at: tuple[int, int] | None = conflict_at
        self.stored: dict[TopicPartition, int] = {}
        self.applied: list[tuple[int, int]] = []

    async def positions(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.stored[tp] for tp in partitions if tp in self.stored}

    async def process(self, batches: Mapping[TopicPartition, Sequence[Record]]) -> None:
        for tp, records in batches.items():
            for record in records:
                if record.offset <= self.stored.get(tp, -1):
                    continue  # applied already
                if (tp.partition, record.offset) == self.conflict_at:
                    self.conflict_at = None
                    raise ConflictError(f"{tp.topic}/{tp.partition}@{record.offset} conflicted")
                self.applied.append((tp.partition, record.offset))
                self.stored[tp] = record.offset


async def test_a_persistent_conflict_leaves_the_batch_to_a_later_poll(bootstrap: str) -> None:
    await ensure_topics(bootstrap, [TOPIC])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for partition in (0, 1):
            for n in range(10):
                await producer.send(TOPIC.name, f"{partition}/{n}".encode(), partition=partition)
        await producer.flush()
    finally:
        await producer.stop()

    sink = ConflictingSink(conflict_at=(0, 4))
    consumer = BatchConsumer(
        "ordo-test-conflicts", [TOPIC.name], sink, Settings(kafka_bootstrap_servers=bootstrap)
    )
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(stop))
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while len(sink.applied) < 20 and not running.done():
            assert asyncio.get_running_loop().time() < deadline, f"applied {sink.applied}"
            await asyncio.sleep(0.05)
        assert not running.done(), "the consumer ended"
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)

    every = [(p, n) for p in (0, 1) for n in range(10)]
    assert sorted(sink.applied) == every  # each record once: none lost, none twice
    assert [n for p, n in sink.applied if p == 0] == list(range(10))  # in order
    assert sink.conflict_at is None
    assert consumer.conflicts == 1
    assert consumer.processed == 20
