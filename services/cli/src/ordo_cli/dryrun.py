"""`ordo rules dry-run`: a proposed rule set tried on past orders.

It changes nothing: it reads the orders and their current verdicts from the event log
(ordo.orders, the corrections on ordo.tickets, the verdicts on ordo.validation, each from the
beginning), judges each order's latest version by the proposed rules on this machine, and
reports the orders whose verdict would change, and why.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.console import Console
from rich.table import Table

from ordo_events import events as ev
from ordo_events.envelope import Envelope, UndecodableMessage, decode
from ordo_events.order import CanonicalOrder, Correction, corrected
from ordo_events.topics import ORDERS, TICKETS, VALIDATION
from ordo_rules import RuleSet, RuleSetError

QUIET_POLLS = 3  # Tansu may report an end offset below what is readable: drain until quiet


@dataclass(frozen=True)
class Change:
    order: CanonicalOrder
    order_id: str
    before: tuple[str, ...]  # the codes of the current verdict; () = validated
    after: tuple[ev.Issue, ...]

    @property
    def kind(self) -> str:
        if not self.before:
            return "would now fail"
        return "would now pass" if not self.after else "would fail differently"


@dataclass
class DryRun:
    judged: int = 0
    unchanged: int = 0
    not_yet_judged: int = 0
    changes: list[Change] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)


def replay(envelopes: Iterable[Envelope], rules: RuleSet) -> DryRun:
    """Each order's latest version, with the operator's corrections on top, judged by `rules`
    and compared with its latest verdict.
    `envelopes` come topic by topic, each in its own order (corrections after receipts)."""
    sent: dict[str, CanonicalOrder] = {}  # the channel's latest version
    fixes: dict[str, list[Correction]] = defaultdict(list)  # the operator's, on top of it
    verdicts: dict[str, tuple[int, tuple[str, ...]]] = {}
    for envelope in envelopes:
        match envelope.data:
            case ev.OrderReceived(order_id=oid, order=order) if oid not in sent:
                sent[oid] = order
            case ev.OrderRevised(order_id=oid, order=order):
                sent[oid] = order
            case ev.OrderCorrected(order_id=oid, order=order, correction=fix):
                sent.setdefault(oid, order)
                fixes[oid].append(fix)
            case ev.OrderValidated(order_id=oid, attempt=attempt):
                if attempt >= verdicts.get(oid, (0, ()))[0]:
                    verdicts[oid] = (attempt, ())
            case ev.OrderValidationFailed(order_id=oid, attempt=attempt, issues=issues):
                if attempt >= verdicts.get(oid, (0, ()))[0]:
                    verdicts[oid] = (attempt, tuple(i.code for i in issues))
    result = DryRun()
    for oid, version in sent.items():
        order = corrected(version, fixes[oid])
        if oid not in verdicts:
            result.not_yet_judged += 1
            continue
        result.judged += 1
        before = verdicts[oid][1]
        after = tuple(rules.check(order))
        if sorted(before) == sorted(i.code for i in after):
            result.unchanged += 1
        else:
            result.changes.append(Change(order, oid, before, after))
    return result


def render(result: DryRun, rules: RuleSet, show: int) -> Table:
    table = Table(
        title=f"Dry run of {rules.name!r}: orders whose verdict would change",
        caption=(
            f"{result.judged} judged orders replayed: {result.count('would now fail')} would now"
            f" fail, {result.count('would now pass')} would now pass,"
            f" {result.count('would fail differently')} would fail differently,"
            f" {result.unchanged} unchanged; {result.not_yet_judged} not judged yet."
            " Nothing was changed."
        ),
    )
    for column in ("order", "channel / number", "now", "with the proposed rules", "why"):
        table.add_column(column, overflow="fold")
    for change in result.changes[:show]:
        table.add_row(
            change.order_id,
            f"{change.order.channel} / {change.order.external_id}",
            ", ".join(change.before) or "[green]validated[/green]",
            ", ".join(i.code for i in change.after) or "[green]validated[/green]",
            "; ".join(i.message for i in change.after) or change.kind,
        )
    if len(result.changes) > show:
        table.add_row("…", f"{len(result.changes) - show} more", "", "", "")
    return table


async def _read(bootstrap: str, topics: list[str]) -> list[Envelope]:
    # "earliest", not aiokafka's default: a reset racing the seek below (seen on Tansu) would
    # otherwise start a partition at its end and the replay would silently miss orders.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer.topics()  # fetches the metadata partitions_for_topic reads
        by_topic: dict[str, list[Envelope]] = {t: [] for t in topics}
        partitions = [
            TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        quiet = 0
        while quiet < QUIET_POLLS:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            quiet = 0 if batches else quiet + 1
            for tp, records in batches.items():
                for record in records:
                    try:
                        by_topic[tp.topic].append(decode(record.value, record.headers))
                    except UndecodableMessage:
                        continue  # not an event (a dead letter's business, not a verdict)
        return [e for t in topics for e in by_topic[t]]
    finally:
        await consumer.stop()


def read_history(bootstrap: str) -> list[Envelope]:
    """Orders, corrections and verdicts, topic by topic (receipts before corrections)."""
    return asyncio.run(_read(bootstrap, [ORDERS.name, TICKETS.name, VALIDATION.name]))


def errors_table(exc: RuleSetError, file: Path) -> Table:
    table = Table(title=f"{file} was refused", title_style="red")
    for column in ("line", "where", "problem"):
        table.add_column(column, overflow="fold")
    for error in exc.errors:
        table.add_row(str(error.line or ""), error.path or "(top)", error.message)
    return table


def print_checks(console: Console) -> None:
    from ordo_rules import CHECKS

    table = Table(title="The checks a rule set can use")
    for column in ("check", "issue codes", "what it checks"):
        table.add_column(column, overflow="fold")
    for spec in sorted(CHECKS.values(), key=lambda s: s.name):
        params = ", ".join(spec.params.model_fields)
        name = f"{spec.name}({params})" if params else spec.name
        table.add_row(name, ", ".join(spec.codes), " ".join(spec.doc.split()))
    console.print(table)
