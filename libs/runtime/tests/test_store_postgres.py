"""The runtime's store on a real PostgreSQL: state, outbox and position in one transaction."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator, Mapping

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from ordo_devstack.postgres import EmbeddedPostgres
from ordo_events.envelope import Envelope
from ordo_events.events import OrderReceived
from ordo_runtime.consumer import ConflictError
from ordo_runtime.outbox import OUTGOING_TOPIC
from ordo_runtime.processor import Processor
from ordo_runtime.settings import Settings
from ordo_runtime.store import ServiceApplication, UnitOfWork
from ordo_runtime.testing import sample_order
from ordo_validation.app import service

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def settings() -> Iterator[Settings]:
    with EmbeddedPostgres() as server:
        yield Settings(database_url=server.url, service_database="postgres")


@pytest.fixture(scope="module")
def app(settings: Settings) -> ServiceApplication:
    return ServiceApplication("validation", settings)


def records(count: int, first_offset: int = 0) -> list[ConsumerRecord[bytes, bytes]]:
    out = []
    for i in range(count):
        order = sample_order(external_id=f"store-{uuid.uuid4()}")
        envelope = Envelope(data=OrderReceived(order_id=order.order_id, order=order), source="/t")
        value = envelope.value()
        out.append(
            ConsumerRecord(
                "ordo.orders",
                0,
                first_offset + i,
                0,
                0,
                envelope.key(),
                value,
                None,
                len(value),
                -1,
                tuple(envelope.headers()),
            )
        )
    return out


def outbox(app: ServiceApplication) -> int:
    return len(
        app.process_recorder.select_notifications(
            start=None, limit=100_000, topics=[OUTGOING_TOPIC]
        )
    )


def test_a_batch_stores_its_position_with_its_events(app: ServiceApplication) -> None:
    processor = Processor(app, "ordo-store-test", "/t", service.handlers, prefetch=service.prefetch)
    batch = records(50)
    before = outbox(app)
    processor.process_sync(TopicPartition("ordo.orders", 0), batch)
    assert app.position("ordo-store-test:ordo.orders:0") == 49
    assert outbox(app) == before + 50


def test_a_redelivered_batch_changes_nothing_even_after_a_restart(app: ServiceApplication) -> None:
    batch = records(20, first_offset=100)
    Processor(app, "ordo-redelivery", "/t", service.handlers).process_sync(
        TopicPartition("ordo.orders", 0), batch
    )
    before = outbox(app)
    restarted = Processor(app, "ordo-redelivery", "/t", service.handlers)  # no positions in memory
    restarted.process_sync(TopicPartition("ordo.orders", 0), batch)
    assert outbox(app) == before
    assert restarted.duplicates == len(batch)
    assert app.position("ordo-redelivery:ordo.orders:0") == 119


def partition_records(
    partition: int, count: int, first_offset: int = 0
) -> list[ConsumerRecord[bytes, bytes]]:
    return [dataclasses.replace(r, partition=partition) for r in records(count, first_offset)]


def test_one_poll_over_many_partitions_is_one_write_with_every_position(
    app: ServiceApplication,
) -> None:
    processor = Processor(app, "ordo-many", "/t", service.handlers, prefetch=service.prefetch)
    polled = {TopicPartition("ordo.orders", p): partition_records(p, 10) for p in range(3)}
    before = outbox(app)
    processor.process_many(polled)
    assert outbox(app) == before + 30
    assert [app.position(f"ordo-many:ordo.orders:{p}") for p in range(3)] == [9, 9, 9]


def test_a_poll_with_an_applied_partition_falls_back_and_applies_only_the_new(
    app: ServiceApplication,
) -> None:
    first = Processor(app, "ordo-fallback", "/t", service.handlers)
    old = partition_records(0, 5)
    first.process_many({TopicPartition("ordo.orders", 0): old})
    before = outbox(app)
    restarted = Processor(app, "ordo-fallback", "/t", service.handlers)  # knows no positions
    restarted.process_many(
        {
            TopicPartition("ordo.orders", 0): old,
            TopicPartition("ordo.orders", 1): partition_records(1, 4),
        }
    )
    assert outbox(app) == before + 4
    assert restarted.duplicates == 5
    assert app.position("ordo-fallback:ordo.orders:1") == 3


def test_a_follower_moves_on_to_the_head_past_what_is_not_its_topic(
    app: ServiceApplication,
) -> None:
    processor = Processor(
        app, "ordo-follow-test", "/t", service.handlers, prefetch=service.prefetch
    )
    processor.process_sync(TopicPartition("ordo.orders", 1), records(5))
    head = app.process_recorder.max_notification_id()
    assert head is not None

    # A topic nobody wrote: nothing to read, and nothing to read again before the head.
    nothing = app.follow(0, 100, ["no.such.topic"])
    assert (list(nothing.notifications), nothing.end) == ([], head)

    # A full page may stop short of the head: the follower goes on from its last record.
    everything = app.follow(0, 10_000, [OUTGOING_TOPIC])
    first_two = app.follow(0, 2, [OUTGOING_TOPIC])
    assert first_two.notifications == everything.notifications[:2]
    assert first_two.end == everything.notifications[1].id < head
    assert everything.end == head

    # What is written after the head it saw is read on the next call, not skipped.
    processor.process_sync(TopicPartition("ordo.orders", 1), records(3, first_offset=5))
    after = app.follow(everything.end, 100, [OUTGOING_TOPIC])
    assert len(after.notifications) == 3
    assert after.notifications[0].id > head


class Counter(Aggregate):
    @event("Created")
    def __init__(self, name: str) -> None:
        self.name, self.value = name, 0

    @event("Added")
    def add(self, n: int) -> None:
        self.value += n


def test_a_fresh_read_sees_what_another_replica_wrote_since_the_cache_was_filled(
    app: ServiceApplication, settings: Settings
) -> None:
    other = ServiceApplication("validation", settings)  # a second replica, same database
    counter = Counter(f"c-{uuid.uuid4()}")
    uow = UnitOfWork(app)
    uow.add(counter)
    uow.commit()
    assert app.get(Counter, counter.id) is not None  # now in this replica's cache

    theirs = UnitOfWork(other)
    mine = theirs.get(Counter, counter.id)
    assert mine is not None
    mine.add(5)
    theirs.commit()

    cached = app.get(Counter, counter.id)
    fresh = app.fresh(Counter, counter.id)
    assert cached is not None
    assert fresh is not None
    assert (cached.value, fresh.value, fresh.version) == (0, 5, 2)  # the cache is behind
    assert app.fresh(Counter, uuid.uuid4()) is None


def test_a_peek_reads_the_cached_aggregate_without_copying_it(app: ServiceApplication) -> None:
    counter = Counter(f"c-{uuid.uuid4()}")
    uow = UnitOfWork(app)
    uow.add(counter)
    uow.commit()
    first = app.peek(Counter, counter.id)
    assert first is not None
    assert first is app.peek(Counter, counter.id)  # the same object: no copy per look
    assert first is not app.get(Counter, counter.id)  # a command's read is still a copy
    assert app.peek(Counter, uuid.uuid4()) is None
    with pytest.raises(TypeError, match="not ServiceApplication"):
        app.peek(ServiceApplication, counter.id)  # type: ignore[type-var]


class ContendedProcessor(Processor):
    """Every write carrying partition 0's position conflicts, as if another writer kept
    changing what its handlers read."""

    def _commit(self, uow: UnitOfWork, positions: Mapping[str, int]) -> None:
        if any(name.endswith(":0") for name in positions):
            raise IntegrityError("another writer got there first")
        super()._commit(uow, positions)


def test_a_partition_that_keeps_conflicting_does_not_hold_up_the_others(
    app: ServiceApplication,
) -> None:
    processor = ContendedProcessor(app, "ordo-contended", "/t", service.handlers)
    contended, free = TopicPartition("ordo.orders", 0), TopicPartition("ordo.orders", 1)
    before = outbox(app)
    with pytest.raises(ConflictError) as raised:
        processor.process_many({contended: partition_records(0, 3), free: partition_records(1, 4)})
    assert raised.value.partitions == {contended}
    assert app.position("ordo-contended:ordo.orders:1") == 3
    assert app.position("ordo-contended:ordo.orders:0") is None
    assert outbox(app) == before + 4
