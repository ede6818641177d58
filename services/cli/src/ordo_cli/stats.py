"""Numbers for the summaries: percentiles, rates, outcome counts."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ordo_cli.mix import SimOrder
from ordo_cli.watch import Observed, Outcome


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100), interpolating between the closest ranks."""
    if not values:
        return math.nan
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is not within 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def send_rate(sent_at: Iterable[float]) -> float:
    """The rate sends went out at: the gaps between first and last, not counting the last."""
    times = list(sent_at)
    return rate(len(times) - 1, max(times) - min(times)) if len(times) > 1 else 0.0


@dataclass(frozen=True)
class RunSummary:
    # scenario -> outcome -> number of orders
    table: Mapping[str, Mapping[Outcome, int]]
    tickets: int
    elapsed_s: float

    @property
    def by_outcome(self) -> Counter[Outcome]:
        total: Counter[Outcome] = Counter()
        for row in self.table.values():
            total.update(row)
        return total

    @property
    def settled(self) -> int:
        return sum(n for outcome, n in self.by_outcome.items() if outcome is not Outcome.PENDING)

    @property
    def complete(self) -> bool:
        return self.by_outcome[Outcome.PENDING] == 0

    @property
    def orders_per_s(self) -> float:
        return rate(self.settled, self.elapsed_s)

    def to_json(self) -> dict[str, object]:
        return {
            "orders": sum(self.by_outcome.values()),
            "by_outcome": {o.value: n for o, n in self.by_outcome.items()},
            "by_scenario": {
                s: {o.value: n for o, n in row.items()} for s, row in self.table.items()
            },
            "tickets_opened": self.tickets,
            "elapsed_s": round(self.elapsed_s, 3),
            "orders_per_s": round(self.orders_per_s, 1),
        }


def summarize(
    plan: Sequence[SimOrder], outcomes: Mapping[str, Observed], tickets: int, elapsed_s: float
) -> RunSummary:
    table: dict[str, Counter[Outcome]] = {}
    for sim in plan:
        observed = outcomes.get(sim.order_id)
        row = table.setdefault(sim.scenario.value, Counter())
        row[observed.outcome if observed else Outcome.PENDING] += 1
    return RunSummary(table, tickets, elapsed_s)


def latencies_ms(sent_at: Mapping[str, float], outcomes: Mapping[str, Observed]) -> list[float]:
    """Per released order: from its send to the moment its release was seen."""
    return [
        (seen.at - sent_at[order_id]) * 1000
        for order_id, seen in outcomes.items()
        if seen.outcome is Outcome.RELEASED and order_id in sent_at
    ]
