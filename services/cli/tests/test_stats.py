"""Summary and percentile math."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from ordo_cli.mix import Scenario, plan_orders
from ordo_cli.stats import latencies_ms, percentile, rate, summarize
from ordo_cli.watch import Observed, Outcome


def test_percentile_interpolates_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 100.0
    assert percentile(list(reversed(values)), 50) == pytest.approx(50.5)
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile(values, 101)


def test_rate_of_nothing_in_no_time_is_zero() -> None:
    assert rate(10, 2.0) == 5.0
    assert rate(10, 0.0) == 0.0


def test_summary_counts_orders_by_scenario_and_outcome() -> None:
    plan = plan_orders(20, seed=1, run="s", now=datetime(2025, 1, 1, tzinfo=UTC))
    outcomes = {}
    for sim in plan:
        if sim.scenario is Scenario.COMPLETE:
            outcomes[sim.order_id] = Observed(Outcome.RELEASED, 1.0)
        elif sim.scenario is Scenario.NO_PHONE:
            outcomes[sim.order_id] = Observed(Outcome.TICKET, 1.0)
    summary = summarize(plan, outcomes, tickets=2, elapsed_s=4.0)
    complete, no_phone = 16, 2  # 8% of 20 rounds to 2, 7% to 1, 5% to 1
    assert summary.by_outcome == {
        Outcome.RELEASED: complete,
        Outcome.TICKET: no_phone,
        Outcome.PENDING: 2,
    }
    assert summary.table["out_of_stock"] == {Outcome.PENDING: 1}
    assert summary.settled == 18
    assert not summary.complete
    assert summary.orders_per_s == pytest.approx(4.5)
    as_json = summary.to_json()
    assert as_json["orders"] == 20
    assert as_json["by_outcome"] == {"released": 16, "ticket opened": 2, "no outcome": 2}
    assert as_json["tickets_opened"] == 2


def test_latency_counts_released_orders_from_their_send() -> None:
    sent = {"a": 10.0, "b": 10.5, "c": 11.0}
    outcomes = {
        "a": Observed(Outcome.RELEASED, 10.2),
        "b": Observed(Outcome.TICKET, 11.0),
        "c": Observed(Outcome.RELEASED, 11.05),
    }
    assert latencies_ms(sent, outcomes) == pytest.approx([200.0, 50.0])
