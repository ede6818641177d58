"""The bench's arithmetic: the paced phase's schedule and the verdict line, without servers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import psutil
import pytest

from ordo_cli import bench as bench_module
from ordo_cli import simulate
from ordo_cli.bench import (
    Resources,
    _resident,
    batch_rows,
    cpu_rows,
    paced_rate,
    result_line,
    table_rows,
    trees,
)
from ordo_cli.mix import NO_FAILURES, plan_orders
from ordo_cli.simulate import RunResult
from ordo_cli.watch import Observed, Outcome


def test_paced_rate_is_a_fraction_of_the_burst_with_a_floor() -> None:
    assert paced_rate(600.0) == 150.0  # a quarter by default
    assert paced_rate(600.0, fraction=0.25) == 150.0
    assert paced_rate(600.0, fraction=1.0) == 600.0
    assert paced_rate(30.0) == 20.0  # a quarter of 30 is under the floor
    assert paced_rate(0.0) == 20.0  # a burst that released nothing still gets a pace
    assert paced_rate(30.0, floor=5.0) == 7.5  # a quarter of 30, over the lower floor
    for fraction in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="paced fraction"):
            paced_rate(600.0, fraction=fraction)


class SlowClock:
    """perf_counter and asyncio.sleep for simulate, where every sleep oversleeps and every send
    costs time, as on a busy machine; nothing really waits."""

    def __init__(self, oversleep_s: float, send_cost_s: float) -> None:
        self.now, self.oversleep_s, self.send_cost_s = 1000.0, oversleep_s, send_cost_s

    def perf_counter(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds + self.oversleep_s

    async def send(self, *_: object, **__: object) -> asyncio.Future[None]:
        self.now += self.send_cost_s
        delivered = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered


async def test_paced_sends_keep_to_absolute_deadlines_without_drift(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = SlowClock(oversleep_s=0.002, send_cost_s=0.0007)
    monkeypatch.setattr(time, "perf_counter", clock.perf_counter)
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)
    plan = plan_orders(
        200, seed=1, run="p", now=datetime(2025, 1, 1, tzinfo=UTC), shares=NO_FAILURES
    )
    result = RunResult({}, {}, 0, 0.0)
    rate = 100.0

    await simulate._send(clock, plan, rate, result, None)

    assert result.first_send == 1000.0
    lateness = [
        result.sent_at[sim.order_id] - (result.first_send + i / rate) for i, sim in enumerate(plan)
    ]
    assert min(lateness) >= 0  # never ahead of its deadline
    # Each send is late by one oversleep at most: a late send does not push the next one back.
    # Sleeping 1/rate between sends would have the 200th order ~0.5 s behind by now.
    assert max(lateness) <= 0.002 + 1e-9
    assert len(result.sent_at) == 200


def run_of(sent: dict[str, float], released: dict[str, float], first_send: float) -> RunResult:
    return RunResult(
        outcomes={o: Observed(Outcome.RELEASED, at) for o, at in released.items()},
        sent_at=sent,
        tickets=0,
        first_send=first_send,
        last_outcome=max(released.values(), default=None),
    )


# The burst: 10 orders sent together at t=100, released 1..10 s later (a queue).
BURST = run_of(
    {f"b{i}": 100.0 for i in range(10)},
    {f"b{i}": 101.0 + i for i in range(10)},
    first_send=100.0,
)
# The paced phase: 101 orders at 50/s from t=200, the i-th released 20 + i/10 ms after its send.
PACED = run_of(
    {f"p{i}": 200.0 + i / 50 for i in range(101)},
    {f"p{i}": 200.0 + i / 50 + (20 + i / 10) / 1000 for i in range(101)},
    first_send=200.0,
)


def test_result_line_takes_throughput_from_the_burst_and_latency_from_the_paced_phase() -> None:
    line = result_line(10, BURST, ceiling=12345.678, paced=PACED)
    assert list(line)[:5] == ["orders", "orders_per_s", "p50_ms", "p99_ms", "ceiling_orders_per_s"]
    assert line == {
        "orders": 10,
        "orders_per_s": 1.0,  # 10 released between t=100 and t=110
        "p50_ms": 25.0,
        "p99_ms": 29.9,
        "ceiling_orders_per_s": 12345.7,
        "paced_orders_per_s": 50.0,
        "burst_p50_ms": 5500.0,
        "burst_p99_ms": 9910.0,
    }


def test_result_line_without_a_paced_phase_reports_no_latency_rather_than_the_burst() -> None:
    line = result_line(10, BURST, ceiling=1000.0)
    assert line["orders_per_s"] == 1.0
    assert line["p50_ms"] is None
    assert line["p99_ms"] is None
    assert line["paced_orders_per_s"] is None
    assert line["burst_p50_ms"] == pytest.approx(5500.0)


def test_result_line_counts_only_released_orders() -> None:
    burst = run_of({"a": 0.0, "b": 0.0}, {"a": 2.0}, first_send=0.0)
    burst.outcomes["b"] = Observed(Outcome.TICKET, 1.0)
    nothing = run_of({"p": 5.0}, {}, first_send=5.0)
    line = result_line(2, burst, ceiling=1.0, paced=nothing)
    assert line["orders_per_s"] == 0.5
    assert line["burst_p99_ms"] == pytest.approx(2000.0)
    assert line["p50_ms"] is None
    assert line["paced_orders_per_s"] == 0.0  # one send has no rate


def test_table_labels_burst_latency_as_queueing_and_shows_the_paced_target() -> None:
    line = result_line(10, BURST, ceiling=1000.0, paced=PACED)
    rows = table_rows(line, BURST, PACED, paced_target=50.0)
    assert rows["burst: orders sent / released"] == "10 / 10"
    assert rows["burst: latency p50 / p99 (under a backlog)"] == "5500.0 / 9910.0 ms"
    assert rows["paced: orders sent / released"] == "101 / 101"
    assert rows["paced: rate"] == "50.0 orders/s (target 50.0)"
    assert rows["paced: latency p50 / p99"] == "25.0 / 29.9 ms"
    skipped = table_rows(result_line(10, BURST, 1000.0), BURST, None, None)
    assert skipped["paced phase"] == "skipped (--paced-orders 0)"


def test_cpu_is_counted_between_begin_and_end_only() -> None:
    resources = Resources({"me": os.getpid()})
    _burn(0.05)  # before begin: not counted
    resources.begin()
    _burn(0.2)
    resources.end()
    _burn(0.2)  # after end: not counted
    assert 0.1 <= resources.cpu_s["me"] < 0.35


def _burn(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


def test_cpu_rows_give_milliseconds_per_order_busiest_first_and_their_sum() -> None:
    rows = cpu_rows({"validation": 1.0, "postgres": 3.0}, orders=1000)
    assert list(rows.items()) == [
        ("CPU per order: postgres", "3.00 ms"),
        ("CPU per order: validation", "1.00 ms"),
        ("CPU per order: all processes", "4.00 ms"),
    ]
    assert cpu_rows({"x": 1.0}, orders=0) == {}
    with_sink = cpu_rows({"validation": 1.0, "smtp": 0.5}, orders=1000)
    assert with_sink["CPU per order: all processes"] == "1.50 ms"
    assert with_sink["CPU per order: all but the SMTP sink"] == "1.00 ms"
    totals = cpu_rows({"validation": 1.0, "smtp": 0.5}, 1000, label="with emails", each=False)
    assert totals == {
        "with emails: all processes": "1.50 ms",
        "with emails: all but the SMTP sink": "1.00 ms",
    }


def test_memory_samples_walk_the_process_table_only_now_and_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walks: list[int] = []

    def counted(pids: dict[str, int]) -> dict[str, list[psutil.Process]]:
        walks.append(1)
        return {name: [psutil.Process(pid)] for name, pid in pids.items()}

    monkeypatch.setattr(bench_module, "trees", counted)
    resources = Resources({"me": os.getpid()}, trees_every_s=60.0)
    resources.sample()
    first = resources.peak["me"]
    grown = bytearray(64 * 2**20)  # 64 MiB more resident, seen without walking again
    grown[::4096] = b"x" * len(grown[::4096])
    resources.sample()
    assert len(walks) == 1
    assert resources.peak["me"] >= first + 60 * 2**20
    resources.trees_every_s = 0.0
    resources.sample()
    assert len(walks) == 2


def test_a_stretch_of_cpu_counts_from_its_snapshot() -> None:
    resources = Resources({"me": os.getpid(), "gone": 2**22 + 1})
    mark = resources.snapshot()
    _burn(0.2)
    spent = resources.since(mark)
    assert set(spent) == {"me"}
    assert 0.1 <= spent["me"] < 0.35


def test_batch_rows_count_only_the_phase_and_skip_services_that_wrote_nothing() -> None:
    before = {"inventory": (100, 10), "payment": (50, 5), "idle": (7, 1)}
    after = {"inventory": (4100, 18), "payment": (50, 5), "idle": (7, 1), "new": (300, 3)}
    assert batch_rows(before, after, orders=1000) == {
        "records fetched: inventory": "4.0 per order, 500 per batch",
        "records fetched: new": "0.3 per order, 100 per batch",
    }
    assert batch_rows(before, after, orders=0) == {}


def test_a_process_tree_holds_children_and_grandchildren() -> None:
    # A shell whose child sleeps: both belong to the tree, as PostgreSQL's backends do.
    shell = subprocess.Popen(["sh", "-c", "sleep 30 & wait"])
    try:
        deadline = time.monotonic() + 5
        while not psutil.Process(shell.pid).children() and time.monotonic() < deadline:
            time.sleep(0.01)
        found = trees({"me": os.getpid(), "gone": 2**22 + 1})
        pids = {p.pid for p in found["me"]}
        sleeper = psutil.Process(shell.pid).children()[0].pid
        assert {os.getpid(), shell.pid, sleeper} <= pids
        assert "gone" not in found  # a process that ended is left out, not an error
    finally:
        for child in psutil.Process(shell.pid).children():
            child.kill()
        shell.kill()
        shell.wait()


class _Fake:
    def __init__(self, rss: int, shared: int) -> None:
        self.info = SimpleNamespace(rss=rss, shared=shared)

    def memory_info(self) -> SimpleNamespace:
        return self.info


def test_shared_memory_of_a_process_tree_counts_once() -> None:
    # A postmaster and two backends, each mapping the same 100 MiB of shared buffers.
    tree = [_Fake(120, 100), _Fake(110, 100), _Fake(105, 100)]
    assert _resident(tree) == 20 + 10 + 5 + 100


def test_the_rate_until_the_last_email_counts_the_time_the_emails_took_after() -> None:
    assert bench_module.with_emails_rate(5000, 8.0, 2.0) == "500.0 orders/s"
    assert bench_module.with_emails_rate(5000, 8.0, None) == "not measured"


def test_the_processes_at_a_lower_priority_are_named_with_their_nice_values() -> None:
    argv = ["python3", "-c", "import time; time.sleep(30)"]
    low, usual = subprocess.Popen(argv), subprocess.Popen(argv)
    os.setpriority(os.PRIO_PROCESS, low.pid, 6)
    try:
        pids = {"notification": low.pid, "fulfillment": usual.pid}
        assert bench_module.priorities(pids) == "notification 6"
        assert bench_module.priorities({"fulfillment": usual.pid}) == "none"
    finally:
        for process in (low, usual):
            process.kill()
            process.wait()
