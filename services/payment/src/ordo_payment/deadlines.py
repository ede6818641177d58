"""Payment deadlines: each channel gives its customers a time to pay; an order still unpaid
then is announced PaymentOverdue (ticketing opens a ticket for it).

The sweep is the service's background task. It follows the service's own log for the
events that carry a deadline (a settlement opened, or the order learnt), keeps the
deadlines still ahead in a heap, and when one passes writes the decision through
`Runtime.execute` with a cause id derived from the settlement, so replicas sweeping at once
store it once. Its position in the log is stored below the oldest deadline still ahead, so a
restart reads again only what may still fall due.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError

from ordo_events.events import Event
from ordo_payment.domain import DEADLINE_TOPICS, Settlement
from ordo_payment.handlers import overdue, overdue_cause
from ordo_payment.settings import DEADLINES, DeadlineSettings
from ordo_runtime.store import CommandRuntime, with_tracking
from ordo_runtime.tail import Tail

log = logging.getLogger(__name__)

TRACKING_NAME = "payment-deadlines"
Deadline = tuple[datetime, int, uuid.UUID]  # (deadline, position, settlement id)


class Sweep:
    def __init__(self, runtime: CommandRuntime, settings: DeadlineSettings = DEADLINES):
        self.runtime, self.app, self.settings = runtime, runtime.app, settings
        self.topics = DEADLINE_TOPICS
        self.read: int | None = None  # the log position read up to
        self.stored = 0  # the position stored: everything up to it is done
        self.ahead: list[Deadline] = []
        self.fired = 0
        # The deadlines this process's handlers just stored, so they need not be read back.
        self.tail: Tail[Deadline] = Tail(
            self.app, self.topics, lambda n, event: _deadline(n.id, event())
        )

    async def tick(self, now: datetime | None = None) -> list[Event]:
        """Read new deadlines, announce those passed, store how far all is done."""
        if self.read is None:
            self.stored = self.read = await asyncio.to_thread(self.app.position, TRACKING_NAME) or 0
        await asyncio.to_thread(self._read_new)
        now = now or datetime.now(UTC)
        due = []
        while self.ahead and self.ahead[0][0] <= now:
            due.append(heapq.heappop(self.ahead))
        announced: list[Event] = []
        for index, entry in enumerate(due):
            try:
                events = await self._fire(entry[2])
            except Exception:
                for left in due[index:]:  # kept for the next tick, not lost with this one
                    heapq.heappush(self.ahead, left)
                raise
            if events is None:
                heapq.heappush(self.ahead, entry)  # kept contending: the next tick tries again
            else:
                announced += events
        done = min((position for _, position, _ in self.ahead), default=self.read + 1) - 1
        if done > self.stored:
            with contextlib.suppress(IntegrityError):  # a sibling replica stored it first
                await self.runtime.execute(lambda uow: [], None, with_tracking(TRACKING_NAME, done))
            self.stored = done
        return announced

    def _read_new(self) -> None:
        assert self.read is not None
        while True:
            step = self.tail.step(self.read, self.settings.payment_sweep_batch)
            for entry in step.records:
                heapq.heappush(self.ahead, entry)
            self.read = step.end
            if step.at_head:
                return

    async def _fire(self, settlement_id: uuid.UUID) -> list[Event] | None:
        case = await asyncio.to_thread(self.app.get, Settlement, settlement_id)
        if case is None or not case.awaits_payment:
            return []  # paid or cancelled in time: the usual case, and no write
        for _ in range(3):
            try:
                events = await self.runtime.execute(
                    overdue(settlement_id), overdue_cause(settlement_id)
                )
            except IntegrityError:
                # A handler or a sibling sweep wrote the settlement meanwhile: look again.
                self.app.forget([settlement_id])
                continue
            self.fired += len(events)
            return events
        return None


async def sweep(runtime: CommandRuntime, stop: asyncio.Event) -> None:
    """The background task: a tick every PAYMENT_SWEEP_S until the service stops."""
    deadlines = Sweep(runtime)
    with deadlines.tail.following():
        while not stop.is_set():
            try:
                await deadlines.tick()
            except Exception:  # the database away for a moment: the next tick tries again
                log.exception("payment deadline sweep failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), deadlines.settings.payment_sweep_s)


def _deadline(position: int, event: Any) -> Deadline | None:
    """The deadline an event stored at `position` sets, if it sets one."""
    deadline: datetime | None = getattr(event, "deadline", None)
    if deadline is None:
        return None
    return deadline, position, event.originator_id
