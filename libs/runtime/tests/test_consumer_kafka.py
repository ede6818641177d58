"""The consumer loop on a real Kafka-protocol broker (embedded Tansu), with an in-memory sink
that stores its positions as a service's database does."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from ordo_devstack.kafka import EmbeddedKafka, ensure_topics
from ordo_events.topics import Topic
from ordo_runtime.consumer import EARLY_STOP_S, BatchConsumer, ConflictError, Record
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
    `conflict_at` it stops that partition there, applies the poll's other partitions, then
    raises ConflictError naming the stopped one (as the processor does)."""

    def __init__(self, conflict_at: tuple[int, int]):
        self.conflict_at: tuple[int, int] | None = conflict_at
        self.stored: dict[TopicPartition, int] = {}
        self.applied: list[tuple[int, int]] = []

    async def positions(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.stored[tp] for tp in partitions if tp in self.stored}

    async def process(self, batches: Mapping[TopicPartition, Sequence[Record]]) -> None:
        conflicted = []
        for tp, records in batches.items():
            for record in records:
                if record.offset <= self.stored.get(tp, -1):
                    continue  # applied already
                if (tp.partition, record.offset) == self.conflict_at:
                    self.conflict_at = None
                    conflicted.append(tp)
                    break
                self.applied.append((tp.partition, record.offset))
                self.stored[tp] = record.offset
        if conflicted:
            raise ConflictError(f"{conflicted} conflicted", conflicted)


async def produce(
    bootstrap: str, partitions: Sequence[int], n: int, topic: Topic = TOPIC, start: int = 0
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        for partition in partitions:
            for i in range(start, start + n):
                await producer.send(topic.name, f"{partition}/{i}".encode(), partition=partition)
        await producer.flush()
    finally:
        await producer.stop()


async def until(condition: Callable[[], bool], running: asyncio.Task[None], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 60
    while not condition():
        assert not running.done(), "the consumer ended"
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.05)


async def test_a_persistent_conflict_leaves_the_batch_to_a_later_poll(bootstrap: str) -> None:
    await ensure_topics(bootstrap, [TOPIC])
    await produce(bootstrap, (0, 1), 10)
    sink = ConflictingSink(conflict_at=(0, 4))
    consumer = BatchConsumer(
        "ordo-test-conflicts", [TOPIC.name], sink, Settings(kafka_bootstrap_servers=bootstrap)
    )
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(stop))
    try:
        await until(lambda: len(sink.applied) >= 20, running, f"applied {sink.applied}")
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)

    every = [(p, n) for p in (0, 1) for n in range(10)]
    assert sorted(sink.applied) == every  # each record once: none lost, none twice
    assert [n for p, n in sink.applied if p == 0] == list(range(10))  # in order
    assert sink.conflict_at is None
    assert consumer.conflicts == 1
    assert consumer.processed == 20


async def test_only_the_conflicting_partition_waits(bootstrap: str) -> None:
    topic = Topic("ordo.test.conflicts-2", writer="this test", event_types=(), partitions=2)
    await ensure_topics(bootstrap, [topic])
    await produce(bootstrap, (0, 1), 5, topic)
    sink = ConflictingSink(conflict_at=(0, 2))
    consumer = BatchConsumer(
        "ordo-test-conflicts-2",
        [topic.name],
        sink,
        Settings(kafka_bootstrap_servers=bootstrap),
        conflict_pause_s=8.0,  # 4-8 s: long beside a fetch
    )
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(stop))
    try:
        await until(lambda: sink.conflict_at is None, running, "no conflict met")
        await produce(bootstrap, (1,), 5, topic, start=5)  # while partition 0 waits
        await until(lambda: (1, 9) in sink.applied, running, f"applied {sink.applied}")
        assert (0, 2) not in sink.applied  # partition 1 went on without it
        await until(lambda: (0, 4) in sink.applied, running, "partition 0 never resumed")
    finally:
        stop.set()
        await asyncio.wait_for(running, 30)

    assert [n for p, n in sink.applied if p == 0] == list(range(5))
    assert [n for p, n in sink.applied if p == 1] == list(range(10))
    assert consumer.conflicts == 1


async def test_a_stop_does_not_wait_for_a_broker_that_has_gone() -> None:
    """A poll waits for the group's rebalance to end, whatever its timeout; with the broker
    gone halfway through it never ends. A stop must end the loop anyway."""
    topic = Topic("ordo.test.gone", writer="this test", event_types=(), partitions=1)
    broker = EmbeddedKafka(Path(tempfile.mkdtemp(prefix="ordo-consumer-gone-")))
    settings = Settings(kafka_bootstrap_servers=broker.bootstrap)
    consumer = BatchConsumer("ordo-test-gone", [topic.name], ConflictingSink((-1, -1)), settings)
    stop = asyncio.Event()
    try:
        await ensure_topics(broker.bootstrap, [topic])
        running = asyncio.create_task(consumer.run(stop))
        await asyncio.sleep(1)  # subscribed; Tansu takes some seconds more to assign
        assert not consumer.assigned.is_set()
        assert not running.done()
    finally:
        broker.close()
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.wait_for(running, 5)


async def test_a_stop_before_the_group_assigned_anything_does_not_wait_for_it(
    bootstrap: str,
) -> None:
    """Stopped while its group is still forming (a Ctrl-C just after `ordo up` said ready),
    a consumer holds nothing to hand over: it must not wait for the join to finish (that
    took every service its whole shutdown grace, 5 s)."""
    topic = Topic("ordo.test.early-stop", writer="this test", event_types=(), partitions=1)
    await ensure_topics(bootstrap, [topic])
    settings = Settings(kafka_bootstrap_servers=bootstrap)
    consumer = BatchConsumer("ordo-test-early", [topic.name], ConflictingSink((-1, -1)), settings)
    stop = asyncio.Event()
    running = asyncio.create_task(consumer.run(stop))
    await asyncio.sleep(0.5)  # subscribed; Tansu takes some seconds more to assign
    assert not consumer.assigned.is_set()
    started = time.monotonic()
    stop.set()
    await asyncio.wait_for(running, 10)
    assert time.monotonic() - started < EARLY_STOP_S + 1.5
