"""The log's newest writes, as this process committed them, for a follower of the log.

A follower (the outbox relay, a mailer) at position p may take the write that begins at
p + 1 from here instead of reading the log: notification ids are given out under a table
lock held to the commit (recorder.py), so a write's ids are one run and nothing can commit
inside it later. Whatever is not here (another replica's write, ids a rolled-back write used
up, a write noted a moment late, one dropped because the follower fell far behind) makes the
follower read the log, which stays the only truth: a tail saves reads, it never decides what
a follower sees.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar

from eventsourcing.persistence import Recording

from ordo_runtime.store import ServiceApplication

T = TypeVar("T")


class Tail(Generic[T]):
    """Each noted write by the notification id it began at: its last id, and what `keep`
    made of its records (those it returned None for are left out)."""

    def __init__(self, keep: Callable[[Recording[uuid.UUID]], T | None], limit: int = 50_000):
        self.keep = keep
        self.limit = limit  # kept records held at most
        self._lock = threading.Lock()
        self._writes: dict[int, tuple[int, list[T]]] = {}
        self._held = 0

    @contextmanager
    def following(self, app: ServiceApplication) -> Iterator[None]:
        """Note `app`'s writes for the block; forget them after it."""
        # Replaced, not changed in place: writers iterate the list on their own threads.
        app.listeners = [*app.listeners, self.note]
        try:
            yield
        finally:
            app.listeners = [f for f in app.listeners if f != self.note]
            self.clear()

    def note(self, recordings: Sequence[Recording[uuid.UUID]]) -> None:
        """A committed write (ServiceApplication.listeners), on the writer's thread."""
        ids = [r.notification.id for r in recordings]
        first, last = min(ids), max(ids)
        if last - first + 1 != len(ids):
            return  # not one run: left to the log
        ordered = sorted(recordings, key=lambda r: r.notification.id)
        kept = [item for item in map(self.keep, ordered) if item is not None]
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
