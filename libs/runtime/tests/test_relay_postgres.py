"""One replica at a time on a real PostgreSQL: the advisory lock the relay and the mailer hold,
and the relay under it (the leader publishes, a standby never)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from eventsourcing.persistence import IntegrityError

from ordo_devstack.postgres import EmbeddedPostgres
from ordo_runtime.leadership import lead
from ordo_runtime.outbox import Outgoing
from ordo_runtime.relay import RELAY_LOCK_KEY, TRACKING_NAME, Relay
from ordo_runtime.settings import Settings, with_database
from ordo_runtime.store import ServiceApplication, UnitOfWork

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with EmbeddedPostgres() as server:
        yield server.url


@pytest.fixture
async def database(server_url: str) -> str:
    """A database of its own per test: its own outbox, relay position and advisory locks."""
    name = f"relay_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


@pytest.fixture
async def app(server_url: str, database: str) -> AsyncIterator[ServiceApplication]:
    settings = Settings(database_url=server_url, service_database=database)
    app = await asyncio.to_thread(ServiceApplication, "relay-test", settings)
    yield app
    app.close()


class Producer:
    """Kafka's side of the relay: what it was given to send, acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    async def send(
        self, topic: str, value: bytes, key: bytes | None = None, headers: Any = None
    ) -> asyncio.Future[None]:
        self.sent.append((topic, key, value))
        acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged


def store_outgoing(app: ServiceApplication, value: bytes) -> None:
    uow = UnitOfWork(app)
    uow.publish(Outgoing.record("ordo.orders", b"o-1", value, [], uuid.uuid4()))
    uow.commit()


async def eventually(check: Any, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "gave up waiting"
        await asyncio.sleep(0.02)


async def test_a_standby_relay_stopped_before_it_leads_publishes_nothing(
    app: ServiceApplication, server_url: str, database: str
) -> None:
    url = with_database(server_url, database)
    store_outgoing(app, b"stored before the standby started")
    leader = await asyncpg.connect(url)  # another replica relays
    try:
        assert await leader.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_KEY)
        producer = Producer()
        standby = Relay(app, producer, url)
        stop = asyncio.Event()
        running = asyncio.create_task(standby.run(stop))
        await asyncio.sleep(0.3)  # it has asked for the lock and stands by
        stop.set()
        await asyncio.wait_for(running, 10)
        assert (standby.leader, producer.sent, standby.published) == (False, [], 0)
        assert app.position(TRACKING_NAME) is None
    finally:
        await leader.close()


async def test_the_leader_publishes_and_stores_its_position_when_stopped(
    app: ServiceApplication, server_url: str, database: str
) -> None:
    store_outgoing(app, b"one")
    producer = Producer()
    relay = Relay(app, producer, with_database(server_url, database))
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    await eventually(lambda: producer.sent)
    store_outgoing(app, b"two")
    relay.wake.set()
    await eventually(lambda: len(producer.sent) == 2)
    stop.set()
    await asyncio.wait_for(running, 10)
    assert [value for _, _, value in producer.sent] == [b"one", b"two"]
    assert relay.leader
    assert app.position(TRACKING_NAME) == relay.stored > 0


async def test_one_replica_works_at_a_time_and_a_standby_takes_over_when_it_ends(
    server_url: str, database: str
) -> None:
    url, key, stop = with_database(server_url, database), 42, asyncio.Event()
    worked: list[str] = []
    first_may_end = asyncio.Event()

    async def first() -> None:
        worked.append("first")
        await first_may_end.wait()

    async def second() -> None:
        worked.append("second")

    leading = asyncio.create_task(lead(url, key, stop, first))
    await eventually(lambda: worked == ["first"])
    standing_by = asyncio.create_task(lead(url, key, stop, second))
    await asyncio.sleep(0.3)
    assert worked == ["first"]  # the lock is held: the standby waits
    first_may_end.set()
    assert await asyncio.wait_for(leading, 10)
    assert await asyncio.wait_for(standing_by, 10)  # it polls for the lock, now free
    assert worked == ["first", "second"]


async def test_a_standby_stopped_while_waiting_returns_without_working(
    server_url: str, database: str
) -> None:
    url, key, stop = with_database(server_url, database), 42, asyncio.Event()
    holder = await asyncpg.connect(url)
    try:
        assert await holder.fetchval("SELECT pg_try_advisory_lock($1)", key)
        worked: list[str] = []

        async def work() -> None:
            worked.append("standby")

        waiting = asyncio.create_task(lead(url, key, stop, work))
        await asyncio.sleep(0.3)
        stop.set()
        assert await asyncio.wait_for(waiting, 10) is False
        assert worked == []
    finally:
        await holder.close()


async def leading(relay: Relay, stop: asyncio.Event, producer: Producer, count: int) -> Any:
    running = asyncio.create_task(relay.run(stop))
    await eventually(lambda: len(producer.sent) == count)
    return running


async def published(
    relay: Relay, stop: asyncio.Event, running: Any, producer: Producer, count: int
) -> list[bytes]:
    """Wake the relay, stop it once it has sent `count` records, and return what it sent."""
    relay.wake.set()
    await eventually(lambda: len(producer.sent) == count)
    stop.set()
    await asyncio.wait_for(running, 10)
    return values(producer)


def values(producer: Producer) -> list[bytes]:
    return [value for _, _, value in producer.sent]


async def test_the_leader_publishes_this_processs_writes_without_reading_them_back(
    app: ServiceApplication, server_url: str, database: str
) -> None:
    store_outgoing(app, b"stored before it led")
    producer, stop = Producer(), asyncio.Event()
    relay = Relay(app, producer, with_database(server_url, database))
    running = await leading(relay, stop, producer, 1)
    assert relay.tail.read_back == 1  # read: written before the relay noted writes
    for value in (b"a", b"b", b"c"):
        store_outgoing(app, value)
    assert await published(relay, stop, running, producer, 4) == [
        b"stored before it led",
        b"a",
        b"b",
        b"c",
    ]
    assert relay.tail.read_back == 1
    assert app.position(TRACKING_NAME) == relay.stored > 0


async def test_another_replicas_write_between_ours_is_read_and_published_in_the_logs_order(
    app: ServiceApplication, server_url: str, database: str
) -> None:
    settings = Settings(database_url=server_url, service_database=database)
    replica = await asyncio.to_thread(ServiceApplication, "relay-test", settings)
    try:
        producer, stop = Producer(), asyncio.Event()
        relay = Relay(app, producer, with_database(server_url, database), idle_s=5.0)
        store_outgoing(app, b"ours, first")
        running = await leading(relay, stop, producer, 1)
        store_outgoing(replica, b"the other replica's")  # not noted here: only in the log
        store_outgoing(app, b"ours, after it")
        assert await published(relay, stop, running, producer, 3) == [
            b"ours, first",
            b"the other replica's",
            b"ours, after it",
        ]
        assert relay.tail.read_back == 3
    finally:
        replica.close()


async def test_ids_a_failed_write_used_up_do_not_hold_back_the_writes_after_it(
    app: ServiceApplication, server_url: str, database: str
) -> None:
    producer, stop = Producer(), asyncio.Event()
    relay = Relay(app, producer, with_database(server_url, database), idle_s=5.0)
    store_outgoing(app, b"before")
    running = await leading(relay, stop, producer, 1)
    taken = uuid.uuid4()
    first = UnitOfWork(app)
    first.publish(Outgoing.record("ordo.orders", b"o-1", b"kept", [], taken))
    first.commit()
    failed = UnitOfWork(app)  # takes an id for its first record, then fails on the second
    failed.publish(
        Outgoing.record("ordo.orders", b"o-1", b"rolled back", [], uuid.uuid4()),
        Outgoing.record("ordo.orders", b"o-1", b"a duplicate", [], taken),
    )
    with pytest.raises(IntegrityError):
        failed.commit()
    store_outgoing(app, b"after the gap")
    assert await published(relay, stop, running, producer, 3) == [
        b"before",
        b"kept",
        b"after the gap",
    ]
