"""The `ordo` command. Each command is a few lines; the work lives in the modules it calls."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from ordo_cli import reconcile, render, state
from ordo_cli.bench import PACED_FRACTION, PACED_ORDERS, PipelineStuck
from ordo_cli.flows import Targets, run_bench, simulate_and_report
from ordo_cli.rules import rules_app
from ordo_cli.show import OrderNotFound, fetch_order, render_order
from ordo_cli.signals import sigterm_as_interrupt
from ordo_cli.supervisor import NotReady, ServiceDied, tail
from ordo_cli.up import RUN_DIR, AlreadyRunning, Running, running

app = typer.Typer(
    help="Ordo: run the stack, simulate sales channels, inspect orders, benchmark.",
    no_args_is_help=True,
    add_completion=False,
)
order_app = typer.Typer(help="Look at orders.", no_args_is_help=True)
app.add_typer(order_app, name="order")
app.add_typer(rules_app, name="rules")
inventory_app = typer.Typer(help="Look after stock.", no_args_is_help=True)
app.add_typer(inventory_app, name="inventory")
console = Console()

Orders = Annotated[int, typer.Option(min=1, help="How many orders to send.")]
Rate = Annotated[float, typer.Option(min=0, help="Orders per second; 0 sends as fast as possible.")]
Seed = Annotated[int | None, typer.Option(help="Seed for the order mix (random if not given).")]
Timeout = Annotated[float, typer.Option(help="Seconds to wait for every order to come to rest.")]
Report = Annotated[Path | None, typer.Option(help="Also write the summary as JSON to this file.")]
ReadyTimeout = Annotated[float, typer.Option(help="Seconds the services get to become ready.")]


@app.command()
def up(ready_timeout: ReadyTimeout = 90.0) -> None:
    """Start Kafka, PostgreSQL, SMTP and every service; run until Ctrl-C."""
    with _reported(), sigterm_as_interrupt(), running(console, ready_timeout=ready_timeout) as ordo:
        console.print(render.addresses(ordo))
        console.print(f"addresses saved in {state.state_file()}; Ctrl-C stops everything")
        _serve(ordo)


@app.command()
def simulate(
    orders: Orders = 100,
    rate: Rate = 50.0,
    seed: Seed = None,
    timeout: Timeout = 120.0,
    bootstrap: Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")] = None,
    inventory: Annotated[str | None, typer.Option(help="Inventory service URL.")] = None,
    ticketing: Annotated[str | None, typer.Option(help="Ticketing (operator API) URL.")] = None,
    report: Report = None,
) -> None:
    """Send a realistic mix of channel orders into a running Ordo; report what became of them.

    Addresses come from the options, else from `ordo up` (.ordo/stack.json), else from
    KAFKA_BOOTSTRAP_SERVERS, ORDO_INVENTORY_URL and ORDO_TICKETING_URL."""
    try:
        targets = Targets(
            state.resolve(bootstrap, "kafka", "KAFKA_BOOTSTRAP_SERVERS"),
            state.resolve(inventory, "inventory", "ORDO_INVENTORY_URL"),
            state.resolve(ticketing, "ticketing", "ORDO_TICKETING_URL"),
            state.token(),
        )
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    summary = simulate_and_report(console, targets, orders, rate or None, seed, timeout, report)
    raise typer.Exit(0 if summary.complete else 1)


@app.command()
def demo(
    orders: Orders = 100,
    rate: Rate = 50.0,
    seed: Seed = None,
    timeout: Timeout = 180.0,
    exit_when_done: Annotated[
        bool, typer.Option(help="Stop and exit once every order came to rest (0 if all did).")
    ] = False,
    ready_timeout: ReadyTimeout = 90.0,
    report: Report = None,
) -> None:
    """`up` and `simulate` in one: start everything, send orders, show the summary."""
    with _reported(), sigterm_as_interrupt(), running(console, ready_timeout=ready_timeout) as ordo:
        console.print(render.addresses(ordo))
        targets = Targets.of(ordo)
        summary = simulate_and_report(console, targets, orders, rate or None, seed, timeout, report)
        if not exit_when_done:
            console.print("Ordo stays up for you to look around; Ctrl-C stops everything.")
            _serve(ordo)
    if exit_when_done and not summary.complete:
        console.print("[red]some orders did not come to rest in time[/red]")
        raise typer.Exit(1)


@order_app.command("show")
def show(
    order_id: str,
    api: Annotated[str | None, typer.Option(help="Ticketing (operator API) URL.")] = None,
) -> None:
    """An order's status and timeline, as the ticketing service knows it."""
    try:
        api_url = state.resolve(api, "ticketing", "ORDO_TICKETING_URL")
        doc = fetch_order(api_url, order_id, state.token())
    except LookupError as exc:  # also OrderNotFound
        message = f"no order {order_id}" if isinstance(exc, OrderNotFound) else str(exc)
        console.print(f"[red]{message}[/red]")
        raise typer.Exit(1) from None
    except httpx.HTTPError as exc:
        console.print(f"[red]ticketing did not answer: {exc}[/red]")
        raise typer.Exit(1) from None
    console.print(render_order(doc))


@inventory_app.command("reconcile")
def reconcile_stock(
    repair: Annotated[bool, typer.Option(help="Correct the drift with events.")] = False,
    api: Annotated[str | None, typer.Option(help="Inventory service URL.")] = None,
) -> None:
    """Recompute reserved stock from the reservations; report drift, and repair it if asked.
    Exits 1 when drift was found and not repaired."""
    try:
        found = reconcile.reconcile(
            state.resolve(api, "inventory", "ORDO_INVENTORY_URL"), repair, state.token()
        )
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except httpx.HTTPError as exc:
        console.print(f"[red]inventory did not answer: {exc}[/red]")
        raise typer.Exit(1) from None
    console.print(reconcile.render(found))
    if found["drift"] and not repair:
        raise typer.Exit(1)


@app.command()
def bench(
    orders: Annotated[int, typer.Option(min=1, help="Orders to push through at once.")] = 5000,
    paced_orders: Annotated[
        int, typer.Option(min=0, help="Orders sent after the burst at a steady rate; 0 skips.")
    ] = PACED_ORDERS,
    paced_fraction: Annotated[
        float,
        typer.Option(min=0.01, max=1.0, help="The steady rate, as a fraction of the burst's."),
    ] = PACED_FRACTION,
    timeout: Timeout = 600.0,
    ready_timeout: ReadyTimeout = 90.0,
) -> None:
    """Measure the broker's ceiling, the pipeline's throughput under a burst, then its latency
    at a steady rate below that throughput.

    Runs on a fresh embedded stack; the last line printed is the result as one JSON object."""
    # environ={}: always fresh embedded servers, whatever the environment points at.
    bench_dir = RUN_DIR.parent / "bench"
    with (
        _reported(),
        sigterm_as_interrupt(),
        running(console, bench_dir, environ={}, ready_timeout=ready_timeout, publish=False) as ordo,
    ):
        line, rows, complete = run_bench(
            console, ordo, orders, timeout, paced_orders, paced_fraction
        )
    console.print(render.bench(rows))
    print(json.dumps(line))  # plain print: exactly one line, never wrapped by rich
    if not complete:
        raise typer.Exit(1)


def _serve(ordo: Running) -> None:
    """Keep running until Ctrl-C, SIGTERM or SIGHUP; a service that dies ends the run."""
    try:
        while True:
            ordo.supervisor.check()
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("stopping")


@contextmanager
def _reported() -> Iterator[None]:
    """Turn the ways a run can fail into a clear message and a non-zero exit."""
    try:
        yield
    except ServiceDied as exc:
        console.print(f"[red]{exc}[/red]")
        console.print(tail(exc.log), markup=False, highlight=False)
        raise typer.Exit(1) from None
    except NotReady as exc:
        console.print(f"[red]{exc}[/red]")
        for log in exc.logs.values():
            console.print(f"--- {log} ---\n{tail(log, 15)}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except PipelineStuck as exc:
        console.print(f"[red]{exc}[/red]; the service logs may say why")
        raise typer.Exit(1) from None
    except AlreadyRunning as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("interrupted")
        raise typer.Exit(130) from None
