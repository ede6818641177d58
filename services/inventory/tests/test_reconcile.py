"""Given reservations and a Stock whose reserved total drifted -> when reconciled -> then the
drift is reported, and a repair corrects it with an event so a second check finds none."""

from __future__ import annotations

from collections.abc import Sequence

from ordo_events import events as ev
from ordo_inventory import reconcile
from ordo_inventory.domain import Stock
from ordo_inventory.reconcile import Drift
from ordo_runtime import UnitOfWork
from ordo_runtime.testing import Scenario
from services.inventory.tests.support import order_of, stock, stocked, validated


def drifted() -> Scenario:
    scenario = stocked(A=10, B=10)
    scenario.when(validated(order_of("1", ("A", 2), ("B", 1))))
    scenario.when(validated(order_of("2", ("A", 3))))
    scenario.when(
        ev.OrderCancelled(order_id=order_of("2", ("A", 3)).order_id, reason="r", cancelled_by="ola")
    )

    def corrupt(uow: UnitOfWork) -> Sequence[ev.Event]:
        found = uow.get(Stock, Stock.create_id("A"))
        assert found is not None
        found.correct("main", 7)  # as a bug or a hand-edited database might leave it
        return []

    scenario.execute(corrupt)
    return scenario


def test_a_consistent_store_shows_no_drift() -> None:
    scenario = stocked(A=10)
    scenario.when(validated(order_of("1", ("A", 2))))
    report = reconcile.check(scenario.app)
    assert (report.reservations, report.stocks, report.drift) == (1, 1, [])


def test_drift_is_reported_against_what_the_reservations_hold() -> None:
    report = reconcile.check(drifted().app)
    assert report.drift == [Drift(sku="A", warehouse="main", recorded=7, expected=2)]
    assert (report.reservations, report.stocks, report.repaired) == (2, 2, False)


def test_a_repair_corrects_the_drift_with_an_event_and_a_second_check_is_clean() -> None:
    scenario = drifted()
    found: list[reconcile.Report] = []
    scenario.execute(reconcile.repair(scenario.app, found))
    assert found[-1].repaired
    assert len(found[-1].drift) == 1
    assert stock(scenario, "A").reserved == {"main": 2}
    assert stock(scenario, "A").available("main") == 8
    assert reconcile.check(scenario.app).drift == []
