"""Reconciliation: the reserved totals recomputed from the reservations in the service's own
event log, compared with what each Stock records, and the drift repaired with events.

Stock keeps reserved totals as running sums for speed; each order's Reservation says what it
holds. Both move in one unit of work: a hold taken or freed, and a shipment's units leaving
(Reservation.Shipped with Stock.Shipped). Were the two ever to disagree (a bug, a
hand-edited database, a replayed history), the reservations are the truth. A repair reads and corrects in one unit of work: if a reservation
changed the same Stock meanwhile, the write conflicts and is retried on fresh state.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eventsourcing.utils import get_topic

from ordo_events.events import Event
from ordo_inventory.domain import Reservation, Stock
from ordo_runtime import UnitOfWork
from ordo_runtime.store import ServiceApplication

PAGE = 10_000
FIRST_FACTS = {
    Reservation: get_topic(Reservation.Opened),  # type: ignore[attr-defined]
    Stock: get_topic(Stock.Registered),  # type: ignore[attr-defined]
}


@dataclass(frozen=True)
class Drift:
    sku: str
    warehouse: str
    recorded: int  # what Stock says is reserved
    expected: int  # what the reservations hold


@dataclass(frozen=True)
class Report:
    reservations: int
    stocks: int
    drift: list[Drift]
    repaired: bool = False

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "drift": [asdict(d) for d in self.drift]}


def ids_of(app: ServiceApplication, cls: type[Reservation] | type[Stock]) -> Iterator[uuid.UUID]:
    """Every aggregate of a kind, from the log's first fact of each."""
    start = 0
    while notes := app.process_recorder.select_notifications(
        start=start, limit=PAGE, topics=[FIRST_FACTS[cls]], inclusive_of_start=False
    ):
        yield from (uuid.UUID(str(n.originator_id)) for n in notes)
        start = notes[-1].id


def examine(app: ServiceApplication, uow: UnitOfWork) -> tuple[Report, list[Stock]]:
    """The drift between Stock and the reservations, read through `uow` from the store itself.
    Not from this process's cache: another replica or a hand edit may have written since it
    was filled, and a stale read finds no drift and writes nothing, so no version conflict
    would ever tell."""
    expected: dict[tuple[str, str], int] = {}
    reservations = list(ids_of(app, Reservation))
    for start in range(0, len(reservations), PAGE):
        page = reservations[start : start + PAGE]
        app.forget(page)
        uow.prefetch(page)
        for rid in page:
            reservation = uow.get(Reservation, rid)
            if reservation is not None and reservation.reserved:
                for sku, warehouse, quantity in reservation.held:
                    expected[sku, warehouse] = expected.get((sku, warehouse), 0) + quantity
    stock_ids = list(ids_of(app, Stock))
    app.forget(stock_ids)
    uow.prefetch(stock_ids)
    stocks = [s for i in stock_ids if (s := uow.get(Stock, i)) is not None]
    drift = [
        Drift(stock.sku, warehouse, stock.reserved.get(warehouse, 0), want)
        for stock in stocks
        for warehouse in sorted(set(stock.reserved) | {w for s, w in expected if s == stock.sku})
        if stock.reserved.get(warehouse, 0) != (want := expected.get((stock.sku, warehouse), 0))
    ]
    return Report(len(reservations), len(stocks), drift), stocks


def check(app: ServiceApplication) -> Report:
    """The report alone; nothing is written."""
    uow = UnitOfWork(app)
    try:
        report, _ = examine(app, uow)
    finally:
        uow.discard()  # taken out of the cache to read: let the next reader load them again
    return report


def repair(
    app: ServiceApplication, found: list[Report], by: str | None = None
) -> Callable[[UnitOfWork], Sequence[Event]]:
    """The command that sets each drifting Stock's reserved total to the reservations' sum,
    recorded as done by `by`; the report is appended to `found`."""

    def command(uow: UnitOfWork) -> Sequence[Event]:
        report, stocks = examine(app, uow)
        by_sku = {s.sku: s for s in stocks}
        for d in report.drift:
            by_sku[d.sku].correct(d.warehouse, d.expected, by)
        found.append(Report(report.reservations, report.stocks, report.drift, repaired=True))
        return []

    return command
