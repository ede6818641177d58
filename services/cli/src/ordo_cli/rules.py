"""`ordo rules`: show the rules in force, publish a new version, dry-run a proposed one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.syntax import Syntax

from ordo_cli import state
from ordo_cli.dryrun import errors_table, print_checks, read_history, render, replay
from ordo_rules import RuleError, RuleSetError, compile_rules

rules_app = typer.Typer(
    help="The order rules: show them, dry-run a proposed set, publish it.",
    no_args_is_help=True,
)
console = Console()

RulesFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A rule file (YAML).")
]
Validation = Annotated[str | None, typer.Option(help="Validation service URL.")]
Bootstrap = Annotated[str | None, typer.Option(help="Kafka bootstrap servers.")]
Token = Annotated[str | None, typer.Option(help="API token (default: ORDO_TOKEN or `ordo up`'s).")]


def _validation(url: str | None) -> str:
    try:
        return state.resolve(url, "validation", "ORDO_VALIDATION_URL")
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _headers(token: str | None) -> dict[str, str]:
    token = token or state.token()
    return {"Authorization": f"Bearer {token}"} if token else {}


def _call(method: str, url: str, token: str | None, body: str | None = None) -> httpx.Response:
    try:
        return httpx.request(method, url, content=body, headers=_headers(token), timeout=30)
    except httpx.HTTPError as exc:
        console.print(f"[red]validation did not answer: {exc}[/red]")
        raise typer.Exit(1) from None


@rules_app.command("show")
def show(
    checks: Annotated[bool, typer.Option(help="List the checks a rule set can use.")] = False,
    validation: Validation = None,
    token: Token = None,
) -> None:
    """The rule set in force: its version, who published it, and its YAML."""
    if checks:
        print_checks(console)
        return
    response = _call("GET", f"{_validation(validation)}/rules", token)
    if response.status_code != 200:
        console.print(f"[red]validation answered {response.status_code}: {response.text}[/red]")
        raise typer.Exit(1)
    doc: dict[str, Any] = response.json()
    by = doc["published_by"] or "built in"
    console.print(f"[bold]{doc['name']}[/bold], version {doc['version']} ({by})")
    if doc.get("refused"):
        console.print(f"[yellow]a newer version could not be used: {doc['refused']}[/yellow]")
    console.print(Syntax(doc["text"], "yaml", line_numbers=True))


@rules_app.command("publish")
def publish(file: RulesFile, validation: Validation = None, token: Token = None) -> None:
    """Publish FILE as the next version; validation judges orders by it from then on."""
    text = file.read_text("utf-8")
    try:
        compile_rules(text)  # the same check the service makes, without a round trip
    except RuleSetError as exc:
        console.print(errors_table(exc, file))
        raise typer.Exit(1) from None
    response = _call("PUT", f"{_validation(validation)}/rules", token, text)
    if response.status_code == 422:
        detail = response.json()["detail"]
        errors = detail.get("errors", []) if isinstance(detail, dict) else []
        refused = RuleSetError([RuleError(e["line"], e["path"], e["message"]) for e in errors])
        console.print(errors_table(refused, file) if errors else f"[red]{detail}[/red]")
        raise typer.Exit(1)
    if response.status_code != 200:
        console.print(f"[red]validation answered {response.status_code}: {response.text}[/red]")
        raise typer.Exit(1)
    doc = response.json()
    if doc["published"]:
        console.print(f"published [bold]{doc['name']}[/bold] as version {doc['version']}")
    else:
        console.print(f"unchanged: version {doc['version']} is already this file")


@rules_app.command("dry-run")
def dry_run(
    file: RulesFile,
    bootstrap: Bootstrap = None,
    show: Annotated[int, typer.Option(min=0, help="At most this many orders listed.")] = 50,
) -> None:
    """Try FILE on past orders from the event log; changes nothing.

    Reports the orders that would now pass or fail, and why, next to their current verdicts."""
    try:
        rules = compile_rules(file.read_text("utf-8"))
    except RuleSetError as exc:
        console.print(errors_table(exc, file))
        raise typer.Exit(1) from None
    try:
        kafka = state.resolve(bootstrap, "kafka", "KAFKA_BOOTSTRAP_SERVERS")
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    with console.status("reading orders and verdicts from the log"):
        history = read_history(kafka)
    console.print(render(replay(history, rules), rules, show))
