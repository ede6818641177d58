"""Each service's event-sourced state, kept by the eventsourcing library in its own database.

The application's notification log doubles as the outbox: integration events to publish are
stored as `Outgoing` records in the same transaction as the aggregates' events and the
consumer's position, and the relay follows the log to Kafka.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Protocol, TypeVar, cast

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    project_aggregate,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    ProcessRecorder,
    Recording,
    StoredEvent,
    Tracking,
    Transcoder,
)
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.sql import SQL, Identifier

from ordo_events.events import Event
from ordo_runtime.outbox import MAPPER_TOPIC, Outgoing
from ordo_runtime.recorder import RECORDER_TOPIC, Page, PlainTransactionProcessRecorder
from ordo_runtime.settings import Settings, database_params
from ordo_runtime.transcoder import FastJSONTranscoder

A = TypeVar("A", bound=Aggregate)
log = logging.getLogger(__name__)


class ServiceApplication(Application[uuid.UUID]):
    """One service's event store. Records state, outbox and consumer position together."""

    def __init__(self, service: str, settings: Settings, extra_env: dict[str, str] | None = None):
        self.name = service
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            **database_params(
                settings.database_url, settings.service_database or f"ordo_{service}"
            ),
            # Off: eventsourcing 9.5's stored-function insert drops the tracking record, and
            # the consumer's position must be written with the state it produced.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "PROCESS_RECORDER_TOPIC": RECORDER_TOPIC,
            "MAPPER_TOPIC": MAPPER_TOPIC,
            "SINGLE_ROW_TRACKING": "y",
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "4",
            "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size),
            # Each partition has one writer; a stale cached aggregate shows up as a version
            # conflict on write, which evicts it and retries. So no read per cache hit.
            "AGGREGATE_CACHE_FASTFORWARD": "n",
            # Deep copies stay on: HTTP commands run on other threads than the consumer, and
            # a shared cached object could carry one writer's pending events into another's.
            "CREATE_TABLE": "y",
            **(extra_env or {}),
        }
        super().__init__(env=env)
        # Told of each write once it is committed, on the writer's thread (tail.py).
        self.listeners: list[Callable[[Sequence[Recording[uuid.UUID]]], None]] = []

    def construct_transcoder(self) -> Transcoder:
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    @property
    def process_recorder(self) -> ProcessRecorder:
        return cast(ProcessRecorder, self.recorder)

    def record(self, processing: ProcessingEvent[uuid.UUID]) -> list[Recording[uuid.UUID]]:
        """Store a unit of work's events, outbox records and tracking in one transaction."""
        return self._record(processing)

    def _record(self, processing: ProcessingEvent[uuid.UUID]) -> list[Recording[uuid.UUID]]:
        recordings = super()._record(processing)  # committed when it returns
        if recordings:
            for listener in self.listeners:
                try:
                    listener(recordings)
                except Exception:
                    # The write is stored: a follower that missed it reads it from the log.
                    # Raising here would make a committed write look failed to its caller.
                    log.exception("a listener failed on a committed write; it is left to the log")
        return recordings

    @property
    def tracks_many(self) -> bool:
        """Whether one write can carry several positions (see recorder.py)."""
        return isinstance(self.recorder, PlainTransactionProcessRecorder)

    def follow(self, position: int, limit: int, topics: Sequence[str]) -> Page:
        """The log's notifications of `topics` after `position` (an outbox follower's read),
        and the position to follow on from."""
        recorder = self.recorder
        if isinstance(recorder, PlainTransactionProcessRecorder):
            return recorder.select_topics_after(position, limit, topics)
        # The head first, then the page up to it: the follower moves on to the head when the
        # page ends short of it, as the PostgreSQL query's one snapshot lets it.
        head = recorder.max_notification_id() or 0
        if head <= position:
            return Page([], position)
        found = self.process_recorder.select_notifications(
            start=position, limit=limit, stop=head, topics=topics, inclusive_of_start=False
        )
        return Page(found, found[-1].id if len(found) == limit else head)

    def position(self, tracking_name: str) -> int | None:
        return self.process_recorder.max_tracking_id(tracking_name)

    def get(self, cls: type[A], aggregate_id: uuid.UUID) -> A | None:
        try:
            return cast(A, self.repository.get(aggregate_id))
        except AggregateNotFoundError:
            return None

    def peek(self, cls: type[A], aggregate_id: uuid.UUID) -> A | None:
        """The aggregate for a look that changes nothing: the cache's own object when it is
        cached, not a copy (a deep copy was ~15% of the mailer's time, one per email it
        checked). Never mutate it, or keep it past the look."""
        try:
            found: Aggregate = self.repository.get(aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        if not isinstance(found, cls):
            raise TypeError(f"{aggregate_id} is a {type(found).__name__}, not {cls.__name__}")
        return found

    def fresh(self, cls: type[A], aggregate_id: uuid.UUID) -> A | None:
        """The aggregate as stored now, for a read that must not be stale (an HTTP answer):
        the cached copy may predate another replica's write, so it is brought forward by
        the events stored after it (one indexed read, usually of nothing)."""
        aggregate = self.get(cls, aggregate_id)  # a copy: the cache's own object stays as it was
        if aggregate is None:
            return None
        newer = self.recorder.select_events(aggregate_id, gt=aggregate.version)
        return cast(A, project_aggregate(aggregate, map(self.mapper.to_domain_event, newer)))

    def load_many(self, aggregate_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Bring many aggregates into the cache with one query; returns the ids that exist.
        A batch reads its aggregates this way instead of one round trip per message."""
        cache = self.repository.cache
        if cache is None:
            return {i for i in aggregate_ids if self.get(Aggregate, i) is not None}
        found: set[uuid.UUID] = set()
        wanted: list[uuid.UUID] = []
        for aggregate_id in set(aggregate_ids):
            try:
                cache.get(aggregate_id)
                found.add(aggregate_id)
            except KeyError:
                wanted.append(aggregate_id)
        for aggregate_id, stored in self._select_many(wanted).items():
            events = [self.mapper.to_domain_event(s) for s in stored]
            aggregate = project_aggregate(None, events)
            if aggregate is not None:
                cache.put(aggregate_id, aggregate)
                found.add(aggregate_id)
        return found

    def _select_many(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[StoredEvent]]:
        if not ids:
            return {}
        recorder = self.recorder
        if not isinstance(recorder, PostgresAggregateRecorder):
            return {i: list(s) for i in ids if (s := recorder.select_events(i))}
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {0}.{1}"
            " WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        grouped: dict[uuid.UUID, list[StoredEvent]] = {}
        with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, [ids])
            for row in curs.fetchall():
                grouped.setdefault(row["originator_id"], []).append(
                    StoredEvent(
                        row["originator_id"],
                        row["originator_version"],
                        row["topic"],
                        bytes(row["state"]),
                    )
                )
        return grouped

    def take(self, aggregate_id: uuid.UUID) -> Aggregate | None:
        """For a unit of work: the aggregate itself, not a copy, out of the cache while in
        use. No other writer can share it, a failed write leaves nothing unsaved behind, and
        a successful one puts it back (Application._record). Saves a deep copy per read."""
        cache = self.repository.cache
        if cache is not None:
            with contextlib.suppress(KeyError):
                found = cache.get(aggregate_id, evict=True)
                if found is not None:
                    return cast(Aggregate, found)
        aggregate = self.get(Aggregate, aggregate_id)
        if cache is not None and aggregate is not None:
            with contextlib.suppress(KeyError):
                cache.get(aggregate_id, evict=True)
        return aggregate

    def forget(self, aggregate_ids: Sequence[uuid.UUID]) -> None:
        """Drop cached aggregates after a failed write: the cache may hold unsaved changes."""
        cache = self.repository.cache
        if cache is not None:
            for aggregate_id in aggregate_ids:
                try:
                    cache.get(aggregate_id, evict=True)
                except KeyError:
                    pass


class UnitOfWork:
    """What a handler sees: the aggregates it loads or creates, collected for one write."""

    def __init__(self, app: ServiceApplication, tracking: Tracking | None = None):
        self.app = app
        self.processing: ProcessingEvent[uuid.UUID] = ProcessingEvent(tracking)
        self._loaded: dict[uuid.UUID, Aggregate] = {}
        self._absent: set[uuid.UUID] = set()

    def prefetch(self, aggregate_ids: Collection[uuid.UUID]) -> None:
        """Load these aggregates in one query; the ones that do not exist are remembered as
        absent for this unit of work only (a concurrent creator still meets a conflict)."""
        wanted = [i for i in aggregate_ids if i not in self._loaded]
        self._absent.update(set(wanted) - self.app.load_many(wanted))

    def get(self, cls: type[A], aggregate_id: uuid.UUID) -> A | None:
        if aggregate_id in self._loaded:
            return cast(A, self._loaded[aggregate_id])
        if aggregate_id in self._absent:
            return None
        aggregate = self.app.take(aggregate_id)
        if aggregate is not None:
            if not isinstance(aggregate, cls):
                raise TypeError(
                    f"{aggregate_id} is a {type(aggregate).__name__}, not {cls.__name__}"
                )
            self._loaded[aggregate_id] = aggregate
        return cast(A, aggregate)

    def get_or_add(self, cls: type[A], aggregate_id: uuid.UUID, create: Callable[[], A]) -> A:
        """The aggregate, or a new one from `create` (added to this unit of work)."""
        found = self.get(cls, aggregate_id)
        if found is None:
            found = create()
            self.add(found)
        return found

    def add(self, aggregate: Aggregate) -> None:
        self._loaded[aggregate.id] = aggregate
        self._absent.discard(aggregate.id)

    def publish(self, *records: Outgoing) -> None:
        # Straight onto the list: collect_events' isinstance checks against typing
        # Protocols cost more than the rest of publishing.
        self.processing.events.extend(records)

    def aggregates(self) -> Iterator[Aggregate]:
        return iter(self._loaded.values())

    def commit(self, tracking: Tracking | Sequence[Tracking] | None = None) -> None:
        if isinstance(tracking, Tracking):
            self.processing.tracking = tracking
        elif tracking:
            self.processing.collect_events(trackings=list(tracking))
        for aggregate in self._loaded.values():
            self.processing.events.extend(aggregate.collect_events())
            self.processing.aggregates[aggregate.id] = aggregate
        self.app.record(self.processing)

    def discard(self) -> None:
        self.app.forget(list(self._loaded))


def with_tracking(name: str, offset: int) -> Tracking:
    return Tracking(application_name=name, notification_id=offset)


class CommandRuntime(Protocol):
    """What a background task (a mailer, a sweep) needs of a Runtime: its store and a way to
    run a command idempotently. Tests give it an in-memory one."""

    app: ServiceApplication

    async def execute(
        self,
        command: Callable[[UnitOfWork], Sequence[Event]],
        cause_id: str | None = None,
        tracking: Tracking | None = None,
    ) -> list[Event]: ...
