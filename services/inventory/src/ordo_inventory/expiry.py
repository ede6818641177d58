"""Releases reservations that were neither paid, nor cash on delivery, nor released for
fulfilment within the configured time.

A background task of the service. It follows the service's own log for reservations held,
settled and released (so it keeps in memory only the holds that may still expire, with no
query per order) and releases the due ones through Runtime.execute. The cause id names the
reservation and its hold, so two replicas sweeping at once store one release: the second
meets the first's event ids (or its newer aggregate version) and changes nothing. Its
position is stored as the oldest hold still pending, so a restart reads only from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, PersistenceError
from eventsourcing.utils import get_topic

from ordo_events.events import Event
from ordo_inventory.domain import Reservation
from ordo_inventory.handlers import release
from ordo_inventory.settings import SETTINGS, InventorySettings
from ordo_runtime import UnitOfWork
from ordo_runtime.store import CommandRuntime, with_tracking
from ordo_runtime.tail import Tail

log = logging.getLogger(__name__)
TRACKING_NAME = "inventory-expiry"
HELD = get_topic(Reservation.Held)  # type: ignore[attr-defined]
ENDED = (
    get_topic(Reservation.Settled),  # type: ignore[attr-defined]
    get_topic(Reservation.Released),  # type: ignore[attr-defined]
)
FOLLOWED = (HELD, *ENDED)
PAGE = 1000
# What the sweep keeps of a record: its notification id, its reservation, and the hold's
# number and due time (a UNIX time), or None when the record ends the reservation's hold.
Note = tuple[int, uuid.UUID, tuple[int, float] | None]


def expire(reservation_id: uuid.UUID, number: int) -> Callable[[UnitOfWork], Sequence[Event]]:
    """Release hold `number` of a reservation, unless it was settled or released meanwhile."""

    def command(uow: UnitOfWork) -> Sequence[Event]:
        reservation = uow.get(Reservation, reservation_id)
        if reservation is None or reservation.settled or reservation.times_held != number:
            return []
        return release(uow, reservation, "expired")

    return command


class ExpirySweep:
    def __init__(self, runtime: CommandRuntime, settings: InventorySettings = SETTINGS):
        self.runtime, self.app, self.settings = runtime, runtime.app, settings
        self.position: int | None = None
        self.saved = 0
        # reservation id -> (notification id, hold number, due as a UNIX time)
        self.pending: dict[uuid.UUID, tuple[int, int, float]] = {}
        self.expired = 0
        # The holds this process's handlers just stored, so they need not be read back.
        self.tail: Tail[Note] = Tail(
            self.app, FOLLOWED, lambda n, event: self._note(n.id, n.topic, event())
        )

    async def run(self, stop: asyncio.Event) -> None:
        with self.tail.following():
            while not stop.is_set():
                try:
                    await self.sweep()
                except (OSError, PersistenceError) as exc:  # the database is away: try later
                    log.warning("expiry sweep failed, will retry: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.sweep_every_s)

    async def sweep(self, now: float | None = None) -> int:
        """Release every due hold; returns how many this replica released."""
        await asyncio.to_thread(self._follow)
        now = time.time() if now is None else now
        due = [(rid, number) for rid, (_, number, at) in self.pending.items() if at <= now]
        released = 0
        for rid, number in due:
            try:
                events = await self.runtime.execute(expire(rid, number), f"expire/{rid}/{number}")
                released += len(events)
            except IntegrityError:
                self.app.forget([rid])  # another replica released it first
            self.pending.pop(rid, None)
        self.expired += released
        await asyncio.to_thread(self._save)
        return released

    def _follow(self) -> None:
        if self.position is None:
            self.position = self.saved = self.app.position(TRACKING_NAME) or 0
        while True:
            step = self.tail.step(self.position, PAGE)
            for note in step.records:
                self._take(note)
            self.position = step.end
            if step.at_head:
                return

    def _note(self, position: int, topic: str, event: Any) -> Note | None:
        if topic != HELD:
            return position, event.originator_id, None
        if not event.expires:
            return None
        # Each channel's own time to live; holds stored before the channel was kept have
        # none and take the default.
        ttl = self.settings.hold_ttl(getattr(event, "channel", None))
        return position, event.originator_id, (event.number, event.timestamp.timestamp() + ttl)

    def _take(self, note: Note) -> None:
        position, rid, hold = note
        if hold is None:
            self.pending.pop(rid, None)
        else:
            self.pending[rid] = (position, *hold)

    def _save(self) -> None:
        """Store the oldest pending hold's position, so a restart reads no further back."""
        assert self.position is not None
        mark = min((n for n, _, _ in self.pending.values()), default=self.position + 1) - 1
        if mark > self.saved:
            with contextlib.suppress(IntegrityError):  # a sibling replica stored it already
                UnitOfWork(self.app).commit(with_tracking(TRACKING_NAME, mark))
            self.saved = mark


async def sweep_task(runtime: Any, stop: asyncio.Event) -> None:
    """The service's background task (Service.tasks)."""
    await ExpirySweep(runtime).run(stop)
