"""`ordo bench`: what the broker alone can carry, then what the whole pipeline does with it.

Two phases measure two things. The burst sends every order at once: the time to release them
all is the pipeline's throughput, but each order's latency is mostly its place in the queue.
The paced phase then sends more orders at a steady rate well below that throughput, so an
order's latency is its own trip through the services: that is the latency the bench reports."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import Mapping, Sequence

import httpx
import psutil
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from ordo_cli import simulate
from ordo_cli.stats import latencies_ms, percentile, rate, send_rate
from ordo_devstack import ensure_topics, kafka
from ordo_events.topics import CHANNEL_ORDERS, Topic

PACED_ORDERS = 1500
PACED_FRACTION = 0.25  # of the burst's throughput: a steady load, well below saturation
PACED_FLOOR = 20.0  # orders/s, so a slow burst does not make the paced phase take all day


class PipelineStuck(RuntimeError):
    """The pipeline released nothing in time: measuring it would only measure the timeout."""


async def transport_ceiling(
    bootstrap: str, values: Sequence[bytes], n: int, most_partitions: int | None = None
) -> float:
    """Orders/s when nothing but the broker is involved: `n` messages of an order's size
    produced to a scratch topic partitioned as the orders' topic is on that broker and read
    back with plain aiokafka, first send to last read."""
    name = f"ordo.bench.scratch-{uuid.uuid4().hex[:8]}"
    partitions = kafka.partitions(CHANNEL_ORDERS, most_partitions)
    await ensure_topics(bootstrap, [Topic(name, "ordo bench", (), partitions=partitions)])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",  # a reset racing the seek must not skip to the end
        max_poll_records=5000,
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


class Resources:
    """Samples each process's resident memory (with its children) while running, and adds
    up the CPU seconds each spends between `begin` and `end`: on a machine with few cores the
    sum over all processes per order is what bounds throughput."""

    def __init__(
        self, pids: Mapping[str, int], every_s: float = 0.5, trees_every_s: float = 5.0
    ) -> None:
        self.pids, self.every_s, self.trees_every_s = dict(pids), every_s, trees_every_s
        self.peak: dict[str, int] = dict.fromkeys(pids, 0)
        self.cpu_s: dict[str, float] = dict.fromkeys(pids, 0.0)
        self._began: dict[str, float] = {}
        self._trees: dict[str, list[psutil.Process]] = {}
        self._trees_at = -math.inf

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.every_s)

    def sample(self) -> None:
        # Walking the process table cost ~17 ms a sample under a burst, 1.7% of the two cores
        # being measured: the trees are walked again only every `trees_every_s` (PostgreSQL
        # starts a backend per new connection, which the next walk finds), and in between only
        # the known processes' memory is read.
        now = time.monotonic()
        if now - self._trees_at >= self.trees_every_s:
            self._trees, self._trees_at = trees(self.pids), now
        for name, tree in self._trees.items():
            self.peak[name] = max(self.peak[name], _resident(tree))

    def begin(self) -> None:
        self._began = self.snapshot()

    def end(self) -> None:
        for name, seconds in self.since(self._began).items():
            self.cpu_s[name] += seconds
        self._began = {}

    def snapshot(self) -> dict[str, float]:
        """Each process's CPU seconds so far; `since` counts a stretch from it."""
        return _cpu_s(self.pids)

    def since(self, snapshot: Mapping[str, float]) -> dict[str, float]:
        now = _cpu_s(self.pids)
        return {name: max(0.0, now[name] - snapshot[name]) for name in now if name in snapshot}


def trees(pids: Mapping[str, int]) -> dict[str, list[psutil.Process]]:
    """Each named process with its descendants, from one pass over the process table: asking
    each process for its children read the whole table once per process, and sampling ten
    processes twice a second so cost the bench ~2% of the machine it was measuring."""
    children: dict[int, list[psutil.Process]] = {}
    for process in psutil.process_iter(["ppid"]):
        children.setdefault(process.info["ppid"], []).append(process)
    found: dict[str, list[psutil.Process]] = {}
    for name, pid in pids.items():
        with contextlib.suppress(psutil.Error):
            tree, i = [psutil.Process(pid)], 0
            while i < len(tree):
                tree += children.get(tree[i].pid, [])
                i += 1
            found[name] = tree
    return found


def _resident(processes: list[psutil.Process]) -> int:
    """Resident memory of a process tree, shared pages counted once: PostgreSQL's backends
    all map its shared buffers, and summing their RSS counted those once per backend."""
    pairs: list[tuple[int, int]] = []  # (rss, shared); "shared" is Linux-only
    for process in processes:
        with contextlib.suppress(psutil.Error):
            info = process.memory_info()
            pairs.append((int(info.rss), int(getattr(info, "shared", 0))))
    if not pairs:
        return 0
    return sum(rss - shared for rss, shared in pairs) + max(shared for _, shared in pairs)


def _cpu_s(pids: Mapping[str, int]) -> dict[str, float]:
    """User and system CPU seconds of each process and its living children (PostgreSQL's
    backends are children of its postmaster)."""
    totals: dict[str, float] = {}
    for name, tree in trees(pids).items():
        totals[name] = 0.0
        for process in tree:
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                totals[name] += times.user + times.system
    return totals


def cpu_rows(
    cpu_s: Mapping[str, float], orders: int, label: str = "CPU per order", each: bool = True
) -> dict[str, str]:
    """CPU milliseconds per order by process (unless not `each`), busiest first, and their
    sum."""
    if orders <= 0:
        return {}

    def per_order(seconds: float) -> str:
        return f"{seconds * 1000 / orders:.2f} ms"

    rows = {
        f"{label}: {name}": per_order(seconds)
        for name, seconds in sorted(cpu_s.items(), key=lambda kv: -kv[1])
        if each
    }
    rows[f"{label}: all processes"] = per_order(sum(cpu_s.values()))
    if "smtp" in cpu_s:
        # The SMTP sink stands in for a mail provider, whose CPU is not Ordo's in production;
        # here it shares the cores, so it stays in the total too.
        rows[f"{label}: all but the SMTP sink"] = per_order(sum(cpu_s.values()) - cpu_s["smtp"])
    return rows


def priorities(pids: Mapping[str, int]) -> str:
    """The processes running at a lower CPU priority, with their nice values (see up.NICE)."""
    lowered = []
    for name, pid in sorted(pids.items()):
        with contextlib.suppress(psutil.Error):
            nice = psutil.Process(pid).nice()
            if nice > 0:
                lowered.append(f"{name} {nice}")
    return ", ".join(lowered) or "none"


def with_emails_rate(orders: int, burst_s: float, drained_s: float | None) -> str:
    """Orders per second counted until the last of their emails was out: the rate a machine
    keeps up with when the emails are part of the work."""
    if drained_s is None or orders <= 0:
        return "not measured"
    return f"{orders / (burst_s + drained_s):.1f} orders/s"


async def consumer_counts(urls: Mapping[str, str], token: str | None) -> dict[str, tuple[int, int]]:
    """Per service: records its consumers have taken from Kafka (the ones it skips included)
    and the batches its processor has written, from each service's /metrics."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    counts: dict[str, tuple[int, int]] = {}
    async with httpx.AsyncClient(timeout=5.0, headers=headers) as http:
        for name, url in urls.items():
            with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                metrics = (await http.get(f"{url}/metrics")).raise_for_status().json()
                counts[name] = (sum(metrics["consumed"].values()), int(metrics["batches"]))
    return counts


def batch_rows(
    before: Mapping[str, tuple[int, int]], after: Mapping[str, tuple[int, int]], orders: int
) -> dict[str, str]:
    """Records each service fetched per order and per written batch over a phase: batches
    that stay small under a backlog mean per-batch costs, not per-record ones, dominate."""
    rows = {}
    for name, (records, batches) in after.items():
        records -= before.get(name, (0, 0))[0]
        batches -= before.get(name, (0, 0))[1]
        if orders > 0 and batches > 0:
            rows[f"records fetched: {name}"] = (
                f"{records / orders:.1f} per order, {records / batches:.0f} per batch"
            )
    return rows


def paced_rate(
    burst_orders_per_s: float, fraction: float = PACED_FRACTION, floor: float = PACED_FLOOR
) -> float:
    """Orders/s for the paced phase, given the throughput the burst measured."""
    if not 0 < fraction <= 1:
        raise ValueError(f"paced fraction {fraction} is not within (0, 1]")
    return max(floor, burst_orders_per_s * fraction)


def throughput(run: simulate.RunResult) -> float:
    """Released orders/s, from the first send to the last outcome."""
    return rate(len(latencies_ms(run.sent_at, run.outcomes)), run.elapsed_s)


def result_line(
    orders: int,
    burst: simulate.RunResult,
    ceiling: float,
    paced: simulate.RunResult | None = None,
) -> dict[str, float | int | None]:
    """The bench's verdict: the last line it prints, for machines. Latency comes from the
    paced phase (None when it was skipped); the burst's stays apart, as it measures queueing."""
    burst_ms = latencies_ms(burst.sent_at, burst.outcomes)
    paced_ms = latencies_ms(paced.sent_at, paced.outcomes) if paced else []
    return {
        "orders": orders,
        "orders_per_s": round(throughput(burst), 1),
        "p50_ms": _percentile_ms(paced_ms, 50),
        "p99_ms": _percentile_ms(paced_ms, 99),
        "ceiling_orders_per_s": round(ceiling, 1),
        "paced_orders_per_s": round(send_rate(paced.sent_at.values()), 1) if paced else None,
        "burst_p50_ms": _percentile_ms(burst_ms, 50),
        "burst_p99_ms": _percentile_ms(burst_ms, 99),
    }


def _percentile_ms(latencies: list[float], p: float) -> float | None:
    return round(percentile(latencies, p), 1) if latencies else None


def table_rows(
    line: Mapping[str, float | int | None],
    burst: simulate.RunResult,
    paced: simulate.RunResult | None,
    paced_target: float | None,
) -> dict[str, str]:
    """The human half of the verdict, in the order a reader asks: how much, then how fast."""
    rows = {
        "transport ceiling": f"{line['ceiling_orders_per_s']} orders/s",
        "burst: orders sent / released": _sent_released(burst),
        "burst: throughput": f"{line['orders_per_s']} orders/s",
        "burst: latency p50 / p99 (under a backlog)": (
            f"{line['burst_p50_ms']} / {line['burst_p99_ms']} ms"
        ),
    }
    if paced is None:
        return {**rows, "paced phase": "skipped (--paced-orders 0)"}
    return {
        **rows,
        "paced: orders sent / released": _sent_released(paced),
        "paced: rate": f"{line['paced_orders_per_s']} orders/s (target {paced_target:.1f})",
        "paced: latency p50 / p99": f"{line['p50_ms']} / {line['p99_ms']} ms",
    }


def _sent_released(run: simulate.RunResult) -> str:
    return f"{len(run.sent_at)} / {len(latencies_ms(run.sent_at, run.outcomes))}"
