"""Applies consumed records to a service's event-sourced state through its handlers.

A partition batch is one unit of work: the handlers' aggregate changes, the events they return
(stored as outbox records) and the partition's new position are written in one transaction.
Outgoing event ids derive from the consumed event's id, so processing the same event twice
(a redelivery, or a duplicate from a relay that crashed before recording its progress) is
refused by the database; the batch is then replayed one record at a time and the duplicates
are skipped. A record that cannot be decoded, or whose handler fails, goes to the dead-letter
topic in the same transaction as the position that passes it: nothing is lost or blocked.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from aiokafka import TopicPartition
from eventsourcing.persistence import IntegrityError
from opentelemetry.trace import SpanKind

from ordo_events.envelope import UndecodableMessage, decode, event_type_of
from ordo_events.events import EVENT_TYPES, Event
from ordo_events.topics import DEAD_LETTER, topic_for
from ordo_runtime.consumer import ConflictError, Record
from ordo_runtime.outbox import Outgoing, outgoing
from ordo_runtime.store import ServiceApplication, UnitOfWork, with_tracking
from ordo_runtime.tracing import child_of, context_from, current_traceparent, recording, tracer

log = logging.getLogger(__name__)
MAX_CONFLICT_RETRIES = 5
CONFLICT_BACKOFF_S = 0.005
IDS = uuid.UUID("0b7f3f7e-6d0c-4d36-8d0e-6b2f8f3f1a01")


@dataclass(frozen=True)
class RawMessage:
    """A record from a topic that carries no CloudEvents (a channel's own payload)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]

    @classmethod
    def of(cls, record: Record) -> RawMessage:
        return cls(
            record.topic,
            record.partition,
            record.offset,
            record.key,
            record.value,
            list(record.headers),
        )

    @property
    def id(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


Handler = Callable[[Event, UnitOfWork], Sequence[Event]]
RawHandler = Callable[[RawMessage, UnitOfWork], Sequence[Event]]
# The aggregate ids a message will touch, so a batch loads them in one query (a hint: a
# wrong or missing id only costs the handler a read of its own).
Prefetch = Callable[[Event | RawMessage], Iterable[uuid.UUID]]


def per_order(*id_of: Callable[[str], uuid.UUID]) -> Prefetch:
    """Prefetch for services whose aggregates are keyed by the order id."""

    def ids(message: Event | RawMessage) -> list[uuid.UUID]:
        return [f(message.order_id) for f in id_of] if isinstance(message, Event) else []

    return ids


@dataclass(frozen=True)
class _Work:
    message: Event | RawMessage
    cause_id: str
    traceparent: str | None
    call: Callable[[], Sequence[Event]]


class HandlerFailedError(Exception):
    pass


class Processor:
    def __init__(
        self,
        app: ServiceApplication,
        group: str,
        source: str,
        handlers: Mapping[type[Event], Handler],
        raw_handlers: Mapping[str, RawHandler] | None = None,
        prefetch: Prefetch | None = None,
    ):
        self.app, self.group, self.source = app, group, source
        self.handlers = {cls.__name__: fn for cls, fn in handlers.items()}
        # Each type is taken only from its topic in the registry, the one its writer owns.
        self.topics = {cls.__name__: topic_for(cls).name for cls in handlers}
        self.raw_handlers = dict(raw_handlers or {})
        self.prefetch = prefetch
        self.dead_lettered = 0
        self.duplicates = 0
        self.committed = asyncio.Event()
        self._positions: dict[str, int] = {}
        self.batches = 0
        self.busy_s = 0.0

    def tracking_name(self, tp: TopicPartition) -> str:
        return f"{self.group}:{tp.topic}:{tp.partition}"

    async def positions(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        def read() -> dict[TopicPartition, int]:
            found = {tp: self.app.position(self.tracking_name(tp)) for tp in partitions}
            return {tp: pos for tp, pos in found.items() if pos is not None}

        found = await asyncio.to_thread(read)
        self._positions.update({self.tracking_name(tp): pos for tp, pos in found.items()})
        return found

    async def process(self, batches: Mapping[TopicPartition, Sequence[Record]]) -> None:
        started = time.perf_counter()
        await asyncio.to_thread(self.process_many, batches)
        self.batches += 1
        self.busy_s += time.perf_counter() - started
        self.committed.set()

    def process_many(self, batches: Mapping[TopicPartition, Sequence[Record]]) -> None:
        """A poll's records from every partition as one unit of work and one transaction,
        with each partition's position; on a conflict, partition by partition instead."""
        if len(batches) == 1 or not self.app.tracks_many:
            self._one_by_one(batches)
            return
        uow = UnitOfWork(self.app)
        positions: dict[str, int] = {}
        work: list[_Work | None] = []
        for tp, records in batches.items():
            name = self.tracking_name(tp)
            fresh = [r for r in records if r.offset > self._positions.get(name, -1)]
            if fresh:
                positions[name] = fresh[-1].offset
                work += [self._decode(uow, record) for record in fresh]
        if not positions:
            return
        try:
            self._run_all(uow, work)
            self._commit(uow, positions)
        except (IntegrityError, HandlerFailedError):
            uow.discard()
            self._one_by_one(batches)

    def _one_by_one(self, batches: Mapping[TopicPartition, Sequence[Record]]) -> None:
        """Partition by partition, each in its own transaction. A partition whose writes keep
        conflicting does not hold up the others: they are applied, and the ConflictError
        names the ones left for a later poll."""
        conflicts: dict[TopicPartition, ConflictError] = {}
        for tp, records in batches.items():
            try:
                self.process_sync(tp, records)
            except ConflictError as exc:
                conflicts[tp] = exc
        if conflicts:
            raise ConflictError("; ".join(map(str, conflicts.values())), conflicts)

    def _run_all(self, uow: UnitOfWork, work: Sequence[_Work | None]) -> None:
        if self.prefetch is not None:
            uow.prefetch([i for item in work if item for i in self.prefetch(item.message)])
        for item in work:
            if item is not None:
                self._run(uow, item)

    def process_sync(self, tp: TopicPartition, records: Sequence[Record]) -> None:
        name = self.tracking_name(tp)
        applied = self._positions.get(name, -1)
        records = [r for r in records if r.offset > applied]
        if not records:
            return
        uow = UnitOfWork(self.app)
        try:
            self._run_all(uow, [self._decode(uow, record) for record in records])
            self._commit(uow, {name: records[-1].offset})
        except (IntegrityError, HandlerFailedError):
            uow.discard()
            for record in records:
                self._process_one(name, record)

    def _commit(self, uow: UnitOfWork, positions: Mapping[str, int]) -> None:
        trackings = [with_tracking(name, offset) for name, offset in positions.items()]
        uow.commit(trackings[0] if len(trackings) == 1 else trackings)
        self._positions.update(positions)
        self.dead_lettered += sum(
            1
            for e in uow.processing.events
            if isinstance(e, Outgoing) and e.topic == DEAD_LETTER.name
        )

    def _process_one(self, name: str, record: Record) -> None:
        for attempt in range(MAX_CONFLICT_RETRIES):
            uow = UnitOfWork(self.app)
            try:
                self._handle(uow, record)
                self._commit(uow, {name: record.offset})
                return
            except IntegrityError:
                uow.discard()
                if self._already_applied(name, record, uow):
                    self.duplicates += 1
                    self._positions[name] = max(self._positions.get(name, -1), record.offset)
                    return
                # A concurrent writer changed an aggregate we read: try again on fresh state,
                # after a random pause, so two replicas contending for one aggregate (a
                # popular SKU's stock) stop meeting in step.
                time.sleep(random.uniform(0, CONFLICT_BACKOFF_S * 2**attempt))
            except HandlerFailedError as exc:
                uow.discard()
                self._dead_letter_alone(name, record, f"handler failed: {exc.__cause__!r}")
                return
        raise ConflictError(f"{record.topic}/{record.partition}@{record.offset} kept conflicting")

    def _already_applied(self, name: str, record: Record, uow: UnitOfWork) -> bool:
        position = self.app.position(name)
        if position is not None and position >= record.offset:
            return True
        records = [e for e in uow.processing.events if isinstance(e, Outgoing)]
        return any(self.app.recorder.select_events(e.originator_id, limit=1) for e in records)

    def _dead_letter_alone(self, name: str, record: Record, reason: str) -> None:
        log.error(
            "dead-lettered %s/%s@%s: %s", record.topic, record.partition, record.offset, reason
        )
        uow = UnitOfWork(self.app)
        uow.publish(self._dead_letter(record, reason))
        try:
            self._commit(uow, {name: record.offset})
        except IntegrityError:
            pass  # the position was already past this record

    def _handle(self, uow: UnitOfWork, record: Record) -> None:
        item = self._decode(uow, record)
        if item is not None:
            self._run(uow, item)

    def _decode(self, uow: UnitOfWork, record: Record) -> _Work | None:
        """What to run for a record; None when there is nothing to do (or it was dead-lettered)."""
        raw_handler = self.raw_handlers.get(record.topic)
        if raw_handler is not None:
            message = RawMessage.of(record)
            return _Work(message, message.id, None, lambda: raw_handler(message, uow))
        type_name = event_type_of(record.headers)
        if type_name in EVENT_TYPES and type_name not in self.handlers:
            return None  # another service's business
        if type_name in self.topics and record.topic != self.topics[type_name]:
            # Not from its type's one writer: one written before the type moved topic (an
            # OrderCancelled on ordo.tickets, from before fulfillment decided them), or by a
            # service that must not write it. Acting on it would bypass its writer's decision.
            return None
        try:
            envelope = decode(record.value, record.headers)
        except UndecodableMessage as exc:
            uow.publish(self._dead_letter(record, str(exc)))
            return None
        handler = self.handlers[envelope.type]
        return _Work(
            envelope.data, envelope.id, envelope.traceparent, lambda: handler(envelope.data, uow)
        )

    def _run(self, uow: UnitOfWork, item: _Work) -> None:
        if recording():
            with tracer.start_as_current_span(
                f"{self.group} process",
                context=context_from(item.traceparent),
                kind=SpanKind.CONSUMER,
            ):
                results = self._call(item)
                parent = current_traceparent()
        else:
            results = self._call(item)
            parent = child_of(item.traceparent)
        ids = [uuid.uuid5(IDS, f"{self.group}/{item.cause_id}/{n}") for n in range(len(results))]
        uow.publish(*outgoing(results, self.source, parent, ids))

    @staticmethod
    def _call(item: _Work) -> Sequence[Event]:
        try:
            return item.call()
        except Exception as exc:
            raise HandlerFailedError(str(exc)) from exc

    def _dead_letter(self, record: Record, reason: str) -> Outgoing:
        return dead_letter(RawMessage.of(record), reason, self.source, self.group)


def dead_letter(
    message: RawMessage, reason: str, source: str, group: str, kind: str | None = None
) -> Outgoing:
    """The record for the dead-letter topic: the message whole, with why, who and where.
    `kind` marks a letter whose business is handled elsewhere ("rejected": ingestion kept
    the refused order and ticketing opened a ticket), so the operators' queue can skip it."""
    headers = [
        *[(k, v) for k, v in message.headers if v is not None],
        ("dlq_reason", reason[:2000].encode()),
        ("dlq_service", source.encode()),
        ("dlq_origin", message.id.encode()),
    ]
    if message.key is not None:
        # The dead-letter topic is keyed by service; a retry needs the original key back,
        # exact even when it is not text.
        headers.append(("dlq_key", base64.b64encode(message.key)))
    if kind is not None:
        headers.append(("dlq_kind", kind.encode()))
    return Outgoing.record(
        DEAD_LETTER.name,
        source.encode(),
        message.value or b"",
        headers,
        uuid.uuid5(IDS, f"dead-letter/{group}/{message.id}"),
    )
