"""The SLA sweep: an order that rests in a stage longer than the stage's SLA gets a ticket.

Runs in every replica. Ticket ids (and the command's event ids) derive from the order, the
stage and the time of the order's last event, so two replicas sweeping at once open one ticket:
the second write is refused, or finds the ticket there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
from eventsourcing.persistence import IntegrityError

from ordo_events import events as ev
from ordo_runtime import Runtime, UnitOfWork
from ordo_ticketing.domain import Case, ticket_id_for
from ordo_ticketing.handlers import open_returned
from ordo_ticketing.opening import open_ticket
from ordo_ticketing.settings import settings

log = logging.getLogger(__name__)
Execute = Callable[..., Awaitable[list[ev.Event]]]

# Orders that are not resting in a final status: the ones that can be stuck.
CANDIDATES = """
SELECT order_id, status, updated_at, reserved, payment FROM orders
WHERE status IN ('received', 'validated') AND updated_at < $1
ORDER BY updated_at LIMIT 500
"""


# Orders resting returned to sender with a parcel back that has no returned_to_sender ticket
# yet: a cash on delivery parcel's ticket waits for payment's word (see returned.py). By
# parcel, not by count: a parcel sent again leaves the order's shipments (its replacement
# takes its place) while its ticket stays, and the replacement may come back too.
RETURNED_CANDIDATES = """
SELECT o.order_id, o.updated_at FROM orders o
WHERE o.status = 'returned_to_sender' AND o.updated_at < $1
AND EXISTS (SELECT 1 FROM jsonb_array_elements(o.shipments::jsonb) s
     WHERE s->>1 = 'returned_to_sender'
     AND NOT EXISTS (SELECT 1 FROM tickets t
         WHERE t.order_id = o.order_id AND t.reason = 'returned_to_sender'
         AND t.details->>'subject' = s->>0))
ORDER BY o.updated_at LIMIT 500
"""


def stage_of(row: asyncpg.Record) -> str:
    """Where the order waits: for validation, for stock, or for the customer's payment."""
    if row["status"] == "received":
        return "validation"
    if not row["reserved"]:
        return "inventory"
    return "payment" if row["payment"] == "pending" else "fulfillment"


class OpenStuckTicket:
    def __init__(self, order_id: str, stage: str, since: datetime, now: datetime):
        self.order_id, self.stage, self.since, self.now = order_id, stage, since, now

    @property
    def cause(self) -> str:
        return f"{self.stage}/{self.since.isoformat()}"

    @property
    def ticket_id(self) -> str:
        return ticket_id_for(self.order_id, "order_stuck", self.cause)

    def __call__(self, uow: UnitOfWork) -> Sequence[ev.Event]:
        waited = int((self.now - self.since).total_seconds() // 60)
        issue = ev.Issue(
            code="sla.breached",
            field=None,
            message=f"Nothing has happened in stage {self.stage} for {waited} minutes.",
        )
        return open_ticket(
            uow,
            self.order_id,
            "order_stuck",
            self.cause,
            [issue],
            stage=self.stage,
            now=self.now,
            since=self.since.isoformat(),
            waited_m=waited,
        )


class OpenReturnedTickets:
    """A ticket for each parcel of the order that came back to sender and has none yet, with
    or without payment's word on what it left unpaid: waited for long enough. A parcel sent
    again is settled: its ticket was resolved by the new parcel's plan, and none opens again."""

    def __init__(self, order_id: str):
        self.order_id = order_id

    def __call__(self, uow: UnitOfWork) -> Sequence[ev.Event]:
        case = uow.get(Case, Case.create_id(self.order_id))
        if case is None:
            return []
        return [
            event
            for shipment_id in case.sent_back
            if case.reships.get(shipment_id, {}).get("status") != "planned"
            for event in open_returned(uow, case, shipment_id, waited=True)
        ]


async def sweep(db: asyncpg.Pool | asyncpg.Connection, execute: Execute, now: datetime) -> int:
    """Open tickets for the orders stuck now, and for parcels back whose tickets waited too
    long for payment; returns how many were opened."""
    opened = 0
    waited = now - timedelta(seconds=settings().returned_wait_s)
    for row in await db.fetch(RETURNED_CANDIDATES, waited):
        cause = f"returned/{row['order_id']}/{row['updated_at'].isoformat()}"
        opened += await _open(execute, OpenReturnedTickets(row["order_id"]), cause)
    slas = [s for s in map(settings().stage_sla, settings().stage_sla_s) if s is not None]
    if not slas:
        return opened
    for row in await db.fetch(CANDIDATES, now - min(slas)):
        stage = stage_of(row)
        sla = settings().stage_sla(stage)
        if sla is None or row["updated_at"] > now - sla:
            continue
        command = OpenStuckTicket(row["order_id"], stage, row["updated_at"], now)
        opened += await _open(execute, command, f"stuck/{command.ticket_id}")
    return opened


async def _open(
    execute: Execute, command: Callable[[UnitOfWork], Sequence[ev.Event]], cause: str
) -> int:
    """How many tickets `command` opened: none when another replica, sweeping the same
    state with the same cause, opened them a moment ago (its event ids are ours)."""
    try:
        return len(await execute(command, cause_id=cause))
    except IntegrityError:
        return 0


async def run_sweeps(runtime: Runtime, stop: asyncio.Event) -> None:
    """The service task: sweep, then wait for the interval or for the service to stop."""
    interval = settings().sweep_interval_s
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
        if stop.is_set():
            return
        try:
            await sweep(runtime.pool, runtime.execute, datetime.now(UTC))
        except (OSError, asyncpg.PostgresError) as exc:  # the next sweep tries again
            log.warning("SLA sweep failed: %s", exc)


__all__ = ["OpenReturnedTickets", "OpenStuckTicket", "run_sweeps", "stage_of", "sweep"]
