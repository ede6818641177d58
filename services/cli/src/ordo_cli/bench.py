"""`ordo bench`: what the broker alone can carry, then what the whole pipeline does with it."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Mapping, Sequence

import psutil
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from ordo_cli import simulate
from ordo_cli.stats import latencies_ms, percentile, rate
from ordo_devstack import ensure_topics
from ordo_events.topics import CHANNEL_ORDERS, Topic


class PipelineStuck(RuntimeError):
    """The pipeline released nothing in time: measuring it would only measure the timeout."""


async def transport_ceiling(bootstrap: str, values: Sequence[bytes], n: int) -> float:
    """Orders/s when nothing but the broker is involved: `n` messages of an order's size
    produced to a scratch topic and read back with plain aiokafka, first send to last read."""
    name = f"ordo.bench.scratch-{uuid.uuid4().hex[:8]}"
    partitions = CHANNEL_ORDERS.partitions
    await ensure_topics(bootstrap, [Topic(name, "ordo bench", (), partitions=partitions)])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, max_poll_records=5000
    )
    await consumer.start()
    consumer.assign([TopicPartition(name, p) for p in range(partitions)])
    await consumer.seek_to_beginning()
    producer = simulate.producer(bootstrap)
    await producer.start()
    try:
        started = time.perf_counter()
        reading = asyncio.create_task(_read(consumer, n))
        for i in range(n):
            await producer.send(name, values[i % len(values)], key=uuid.uuid4().bytes)
        await producer.flush()
        await reading
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
        await _delete_topic(bootstrap, name)
    return rate(n, elapsed)


async def _read(consumer: AIOKafkaConsumer, n: int) -> None:
    seen = 0
    while seen < n:
        batches = await consumer.getmany(timeout_ms=200)
        seen += sum(len(records) for records in batches.values())


async def _delete_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    with contextlib.suppress(KafkaError):  # a leftover scratch topic harms nothing
        await admin.start()
        await admin.delete_topics([name])
    await admin.close()


class PeakRss:
    """Samples the resident memory of each service (with its children) while running."""

    def __init__(self, pids: Mapping[str, int], every_s: float = 0.5) -> None:
        self.pids, self.every_s = dict(pids), every_s
        self.peak: dict[str, int] = dict.fromkeys(pids, 0)

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.every_s)

    def sample(self) -> None:
        for name, pid in self.pids.items():
            with contextlib.suppress(psutil.Error):
                process = psutil.Process(pid)
                rss = sum(p.memory_info().rss for p in (process, *process.children(recursive=True)))
                self.peak[name] = max(self.peak[name], rss)


def result_line(
    orders: int, run: simulate.RunResult, ceiling: float
) -> dict[str, float | int | None]:
    """The bench's verdict: the last line it prints, for machines."""
    latencies = latencies_ms(run.sent_at, run.outcomes)
    released = len(latencies)
    return {
        "orders": orders,
        "orders_per_s": round(rate(released, run.elapsed_s), 1) if released else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "ceiling_orders_per_s": round(ceiling, 1),
    }
