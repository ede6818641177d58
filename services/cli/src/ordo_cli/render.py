"""The tables the commands print."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table

from ordo_cli.mix import Scenario
from ordo_cli.stats import RunSummary
from ordo_cli.up import Running
from ordo_cli.watch import Outcome

_ORDER = {scenario.value: i for i, scenario in enumerate(Scenario)}


def addresses(ordo: Running) -> Table:
    table = Table(title="Ordo is up", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(overflow="fold")  # addresses are copied: never cut one short
    stack = ordo.stack
    table.add_row("Kafka bootstrap", f"{stack.kafka_bootstrap}  ({stack.origins['kafka']})")
    table.add_row("PostgreSQL", f"{stack.database_url}  ({stack.origins['postgres']})")
    table.add_row(
        "SMTP", f"{stack.smtp_host}:{stack.smtp_port}  (mail kept in {stack.mailbox.path})"
    )
    for name, url in ordo.urls.items():
        table.add_row(name, url)
    if "ticketing" in ordo.urls:
        table.add_row("operator API", ordo.urls["ticketing"])
    for role, token in ordo.tokens.items():
        table.add_row(f"{role} token", token)  # this run's; send as Authorization: Bearer
    table.add_row(
        "logs", f"{ordo.run_dir}/<service>.log, {stack.workdir}/tansu.log, {stack.workdir}/smtp.log"
    )
    return table


def summary(result: RunSummary, operator_api: str | None) -> Table:
    outcomes = list(Outcome)
    table = Table(title="Simulation summary", title_justify="left")
    table.add_column("scenario")
    table.add_column("orders", justify="right")
    for outcome in outcomes:
        table.add_column(outcome.value, justify="right")
    for scenario, row in sorted(result.table.items(), key=lambda item: _ORDER.get(item[0], 99)):
        cells = [str(row.get(o, 0)) for o in outcomes]
        table.add_row(scenario, str(sum(row.values())), *cells)
    totals = result.by_outcome
    table.add_section()
    total_cells = [str(totals.get(o, 0)) for o in outcomes]
    table.add_row("all", str(sum(totals.values())), *total_cells, style="bold")
    table.caption = (
        f"tickets opened: {result.tickets}   "
        f"throughput: {result.orders_per_s:.1f} orders/s over {result.elapsed_s:.1f}s   "
        f"operator API: {operator_api or '-'}"
    )
    table.caption_justify = "left"
    return table


def bench(rows: Mapping[str, str]) -> Table:
    table = Table(title="Ordo benchmark", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in rows.items():
        table.add_row(name, value)
    return table
