"""Following the log, with the newest writes as this process committed them.

A follower (the outbox relay, the mailer, a sweep) at position p takes the write that begins
at p + 1 from the tail instead of reading the log: notification ids are given out under a
table lock held to the commit (recorder.py), so a write's ids are one run and nothing can
commit inside it later. Whatever is not here (another replica's write, ids a rolled-back
write used up, a write noted a moment late, one dropped because the follower fell far behind)
makes `step` read the log, which stays the only truth: a tail saves reads, it never decides
what a follower sees.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from eventsourcing.persistence import Notification, Recording

from ordo_runtime.store import ServiceApplication

T = TypeVar("T")
# What a follower makes of a record of its topics: given the notification and a way to its
# domain event (decoded only when asked: the relay needs the stored bytes alone); None to skip.
Keep = Callable[[Notification, Callable[[], Any]], T | None]


@dataclass(frozen=True)
class Step(Generic[T]):
    """What follows a position: where to follow on from, what the follower keeps of it, and
    how many records the log gave (None: taken from the tail, no read)."""

    end: int
    records: list[T]
    read: int | None

    @property
    def at_head(self) -> bool:
        """The log was read and held nothing more of the follower's topics."""
        return self.read == 0


class Tail(Generic[T]):
    """A follower of `app`'s log for `topics`: its noted writes by the notification id each
    began at (its last id, and what `keep` made of its records), and the log for the rest."""

    def __init__(
        self, app: ServiceApplication, topics: Sequence[str], keep: Keep[T], limit: int = 50_000
    ):
        self.app, self.topics, self.keep = app, list(topics), keep
        self.limit = limit  # kept records held at most
        self.read_back = 0  # records read from the log rather than taken from the tail
        self._lock = threading.Lock()
        self._writes: dict[int, tuple[int, list[T]]] = {}
        self._held = 0

    @contextmanager
    def following(self) -> Iterator[None]:
        """Note the app's writes for the block; forget them after it."""
        # Replaced, not changed in place: writers iterate the list on their own threads.
        self.app.listeners = [*self.app.listeners, self.note]
        try:
            yield
        finally:
            self.app.listeners = [f for f in self.app.listeners if f != self.note]
            self.clear()

    def step(self, position: int, limit: int) -> Step[T]:
        """What follows `position`: the noted writes that follow on one from another, up to
        about `limit` records; else a page of the log from there (the noted writes it reads
        past are forgotten). Reads the database: call it off the event loop."""
        write = self.after(position)
        if write is not None:
            end, records = write
            while len(records) < limit and (more := self.after(end)) is not None:
                end, records = more[0], records + more[1]
            return Step(end, records, None)
        page = self.app.follow(position, limit, self.topics)
        self.drop_to(page.end)
        self.read_back += len(page.notifications)
        kept = [self._make(n, _decoding(self.app, n)) for n in page.notifications]
        return Step(
            max(position, page.end), [k for k in kept if k is not None], len(page.notifications)
        )

    def note(self, recordings: Sequence[Recording[uuid.UUID]]) -> None:
        """A committed write (ServiceApplication.listeners), on the writer's thread."""
        ids = [r.notification.id for r in recordings]
        first, last = min(ids), max(ids)
        if last - first + 1 != len(ids):
            return  # not one run: left to the log
        ordered = sorted(recordings, key=lambda r: r.notification.id)
        made = (self._make(r.notification, _given(r.domain_event)) for r in ordered)
        kept = [k for k in made if k is not None]
        with self._lock:
            if self._held + len(kept) <= self.limit:
                self._writes[first] = (last, kept)
                self._held += len(kept)

    def after(self, position: int) -> tuple[int, list[T]] | None:
        """The write that begins right after `position`, taken out: its last id and records."""
        with self._lock:
            found = self._writes.pop(position + 1, None)
            if found is not None:
                self._held -= len(found[1])
            return found

    def drop_to(self, position: int) -> None:
        """Forget the writes that begin at or before `position`: the log was read past them."""
        with self._lock:
            for first in [f for f in self._writes if f <= position]:
                self._held -= len(self._writes.pop(first)[1])

    def clear(self) -> None:
        with self._lock:
            self._writes.clear()
            self._held = 0

    def _make(self, notification: Notification, event: Callable[[], Any]) -> T | None:
        return self.keep(notification, event) if notification.topic in self.topics else None


def _decoding(app: ServiceApplication, notification: Notification) -> Callable[[], Any]:
    return lambda: app.mapper.to_domain_event(notification)


def _given(event: Any) -> Callable[[], Any]:
    return lambda: event
