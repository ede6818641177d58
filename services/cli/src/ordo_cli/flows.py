"""What `simulate`, `demo` and `bench` do once they have a stack to talk to."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ordo_cli import bench, render, simulate
from ordo_cli.catalogue import stock_levels
from ordo_cli.mix import DEFAULT_SHARES, NO_FAILURES, Shares, SimOrder, plan_orders
from ordo_cli.stats import RunSummary, latencies_ms, summarize
from ordo_cli.up import Running
from ordo_cli.watch import Outcome
from ordo_devstack import Mailbox

PLENTY = 1_000_000
WARMUP, WARMUP_S = 20, 90.0
T = TypeVar("T")


@dataclass(frozen=True)
class Targets:
    bootstrap: str
    inventory: str
    ticketing: str
    token: str | None = None  # a manager's: the simulator sets stock levels

    @classmethod
    def of(cls, ordo: Running) -> Targets:
        return cls(
            ordo.stack.kafka_bootstrap,
            ordo.urls["inventory"],
            ordo.urls["ticketing"],
            ordo.tokens.get("manager"),
        )


def make_plan(
    orders: int, seed: int | None, shares: Shares = DEFAULT_SHARES
) -> tuple[int, list[SimOrder]]:
    seed = random.randrange(1_000_000) if seed is None else seed
    run = uuid.uuid4().hex[:8]  # new external ids every run: a rerun is new orders, not retries
    return seed, plan_orders(orders, seed=seed, run=run, now=datetime.now(UTC), shares=shares)


def simulate_and_report(
    console: Console,
    targets: Targets,
    orders: int,
    rate: float | None,
    seed: int | None,
    timeout_s: float,
    report: Path | None = None,
) -> RunSummary:
    seed, plan = make_plan(orders, seed)
    console.print(f"simulating {orders} orders (seed {seed}) into {targets.bootstrap}")
    asyncio.run(simulate.seed_stock(targets.inventory, stock_levels(PLENTY), targets.token))
    result = _with_progress(
        console,
        len(plan),
        lambda sent, settled: simulate.run(
            plan,
            bootstrap=targets.bootstrap,
            rate=rate,
            timeout_s=timeout_s,
            on_sent=sent,
            on_settled=settled,
        ),
    )
    summary = summarize(plan, result.outcomes, result.tickets, result.elapsed_s)
    console.print(render.summary(summary, targets.ticketing))
    for outcome in (Outcome.RELEASED, Outcome.TICKET):
        example = next((o for o, seen in result.outcomes.items() if seen.outcome is outcome), None)
        if example:
            line = f"  {outcome.value}, for example: ordo order show {example}"
            console.print(line, soft_wrap=True)
    if report is not None:
        report.write_text(json.dumps({"seed": seed, **summary.to_json()}, indent=2))
    return summary


def run_bench(
    console: Console,
    ordo: Running,
    orders: int,
    timeout_s: float,
    paced_orders: int = bench.PACED_ORDERS,
    paced_fraction: float = bench.PACED_FRACTION,
) -> tuple[dict[str, float | int | None], dict[str, str], bool]:
    """Returns the JSON verdict, the table rows, and whether every order was released."""
    _, plan = make_plan(orders, seed=1, shares=NO_FAILURES)
    values = [sim.order.model_dump_json().encode() for sim in plan[:100]]
    bootstrap = ordo.stack.kafka_bootstrap
    with console.status("measuring the transport ceiling (broker only)"):
        ceiling = asyncio.run(
            bench.transport_ceiling(bootstrap, values, orders, ordo.stack.most_partitions)
        )
    token = ordo.tokens.get("manager")
    asyncio.run(simulate.seed_stock(ordo.urls["inventory"], stock_levels(PLENTY), token))
    with console.status(f"warming up: {WARMUP} orders, not counted"):
        _warm_up(bootstrap)
    # Memory is sampled in both phases; CPU is counted in the burst only (per burst order).
    resources = bench.Resources({**ordo.supervisor.pids(), **ordo.stack.pids})

    def phase(
        plan: list[SimOrder], rate: float | None, count_cpu: bool = False
    ) -> Callable[[simulate.Tick, simulate.Tick], Awaitable[simulate.RunResult]]:
        async def pipeline(sent: simulate.Tick, settled: simulate.Tick) -> simulate.RunResult:
            sampling = asyncio.create_task(resources.run())
            if count_cpu:
                resources.begin()
            try:
                return await simulate.run(
                    plan,
                    bootstrap=bootstrap,
                    rate=rate,
                    timeout_s=timeout_s,
                    on_sent=sent,
                    on_settled=settled,
                )
            finally:
                if count_cpu:
                    resources.end()
                sampling.cancel()

        return pipeline

    services = {name: url for name, url in ordo.urls.items() if name in ordo.supervisor.pids()}
    counted = asyncio.run(bench.consumer_counts(services, token))
    mailed = len(ordo.stack.mailbox)
    before_burst = resources.snapshot()
    console.print(f"burst: {orders} orders at once")
    burst = _with_progress(console, len(plan), phase(plan, None, count_cpu=True))
    # Each released order was told twice (received, confirmed): emails the mailer still owes
    # at the end of the burst are work its CPU figure does not include.
    owed = 2 * len(plan)
    emails = f"{len(ordo.stack.mailbox) - mailed} of {owed}"
    batches = bench.batch_rows(
        counted, asyncio.run(bench.consumer_counts(services, token)), len(plan)
    )
    # The paced phase measures an order's own trip, so it starts once the burst's emails are
    # out: a mailer catching up would take the CPU the paced orders are timed on.
    with console.status("waiting for the burst's emails to go out"):
        drained_s = _drain(ordo.stack.mailbox, mailed + owed, timeout_s)
    emails_after = (
        f"{drained_s:.1f} s" if drained_s is not None else f"not within {timeout_s:.0f} s"
    )
    # The burst's figure leaves out the emails sent after it; a steady stream of orders pays
    # for those too, so this is the CPU an order costs when nothing is left owing.
    with_emails = (
        bench.cpu_rows(
            resources.since(before_burst),
            len(plan),
            label="CPU per order, its emails included",
            each=False,
        )
        if drained_s is not None
        else {}
    )
    paced, target = None, None
    if paced_orders:
        # New external ids (make_plan's run id), so these are new orders, not redeliveries.
        _, paced_plan = make_plan(paced_orders, seed=3, shares=NO_FAILURES)
        target = bench.paced_rate(bench.throughput(burst), paced_fraction)
        console.print(f"paced: {paced_orders} orders at {target:.1f} orders/s")
        paced = _with_progress(console, len(paced_plan), phase(paced_plan, target))
    line = bench.result_line(orders, burst, ceiling, paced)
    rows = {
        **bench.table_rows(line, burst, paced, target),
        **{f"peak RSS {name}": f"{peak / 2**20:.0f} MiB" for name, peak in resources.peak.items()},
        **bench.cpu_rows(resources.cpu_s, len(plan)),
        **batches,
        "burst: emails sent by its end": emails,
        "burst: the rest of its emails sent in": emails_after,
        "burst: throughput until its last email": bench.with_emails_rate(
            len(plan), burst.elapsed_s, drained_s
        ),
        **with_emails,
        "lower CPU priority (nice)": bench.priorities(
            {**ordo.supervisor.pids(), **ordo.stack.pids}
        ),
    }
    released = len(latencies_ms(burst.sent_at, burst.outcomes))
    if paced is not None:
        released += len(latencies_ms(paced.sent_at, paced.outcomes))
    return line, rows, released == orders + paced_orders


def _drain(mailbox: Mailbox, count: int, timeout_s: float) -> float | None:
    """Seconds until the mailbox holds `count` mails, or None if it did not in time."""
    started = time.monotonic()
    try:
        mailbox.wait_for_count(count, timeout=timeout_s)
    except TimeoutError:
        return None
    return time.monotonic() - started


def _warm_up(bootstrap: str) -> None:
    """Measure a pipeline that is consuming, not one still joining its consumer groups; and
    fail within a minute, not after the whole timeout, when it does not release at all."""
    _, plan = make_plan(WARMUP, seed=2, shares=NO_FAILURES)
    run = asyncio.run(simulate.run(plan, bootstrap=bootstrap, rate=None, timeout_s=WARMUP_S))
    if len(run.outcomes) < WARMUP:
        raise bench.PipelineStuck(
            f"only {len(run.outcomes)} of {WARMUP} warm-up orders released in {WARMUP_S:.0f}s"
        )


def _with_progress(
    console: Console,
    total: int,
    work: Callable[[simulate.Tick, simulate.Tick], Awaitable[T]],
) -> T:
    columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        sent = progress.add_task("sent", total=total)
        settled = progress.add_task("settled", total=total)
        return asyncio.run(
            _call(work, lambda n: progress.advance(sent, n), lambda n: progress.advance(settled, n))
        )


async def _call(
    work: Callable[[simulate.Tick, simulate.Tick], Awaitable[T]],
    sent: simulate.Tick,
    settled: simulate.Tick,
) -> T:
    return await work(sent, settled)
