"""A service stops when asked, or once its parent has gone, and winds down within its grace,
also when the broker has gone: its jobs' servers are fakes here, one of them waiting for an
acknowledgement that never comes."""

from __future__ import annotations

import asyncio
import os

import pytest

from ordo_runtime.service import Runtime, Service
from ordo_runtime.settings import Settings

GRACE_S = 1.0


class Unacknowledged:
    """The relay's part while the broker is gone: a send that no broker acknowledges."""

    def __init__(self) -> None:
        self.abandoned = False

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            self.abandoned = True
            raise


class Stops:
    """The relay when all it sent was acknowledged: done as soon as asked."""

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()


class Failing:
    async def run(self, stop: asyncio.Event) -> None:
        raise ConnectionError("the database has gone")


class Producer:
    def __init__(self, hangs: bool = False) -> None:
        self.hangs, self.stopped = hangs, False

    async def stop(self) -> None:
        if self.hangs:  # a flush waiting for a broker that has gone
            await asyncio.get_running_loop().create_future()
        self.stopped = True


class Pool:
    closed = False

    async def close(self) -> None:
        self.closed = True


class Store:
    closed = False

    def close(self) -> None:
        self.closed = True


class Faked(Runtime):
    def __init__(self, relay: object, producer: Producer, parent: int | None = None) -> None:
        settings = Settings(
            ordo_auth="disabled",
            http_host="127.0.0.1",
            http_port=0,
            shutdown_grace_s=GRACE_S,
            ordo_parent_pid=parent,
        )
        super().__init__(Service("shutdown-test"), settings)
        self._fakes = relay, producer

    async def start(self) -> None:
        self.relay, self.producer = self._fakes  # type: ignore[assignment]
        self.pool, self.app = Pool(), Store()  # type: ignore[assignment]


async def stopped_after(runtime: Runtime) -> float:
    """Start `runtime`, stop it as SIGTERM does; how long it took to return."""
    running = asyncio.create_task(runtime.run())
    while not runtime.started:
        assert not running.done(), running
        await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    asked = loop.time()
    runtime.stop.set()
    await asyncio.wait_for(running, 10 * GRACE_S)
    return loop.time() - asked


async def test_a_send_never_acknowledged_is_abandoned_after_the_grace() -> None:
    relay, producer = Unacknowledged(), Producer()
    runtime = Faked(relay, producer)
    took = await stopped_after(runtime)
    assert GRACE_S <= took < GRACE_S + 2
    assert relay.abandoned
    assert runtime.pool.closed


async def test_a_producer_flush_that_never_ends_is_abandoned_after_the_grace() -> None:
    runtime = Faked(Stops(), Producer(hangs=True))
    took = await stopped_after(runtime)
    assert GRACE_S <= took < GRACE_S + 2
    assert runtime.app.closed  # type: ignore[attr-defined]


async def test_without_anything_stuck_a_stop_takes_no_grace() -> None:
    runtime = Faked(Stops(), Producer())
    assert await stopped_after(runtime) < GRACE_S
    assert runtime.producer.stopped


async def test_a_job_that_fails_ends_the_run_with_its_error() -> None:
    runtime = Faked(Failing(), Producer())
    with pytest.raises(ConnectionError, match="the database has gone"):
        await asyncio.wait_for(runtime.run(), 10 * GRACE_S)
    assert runtime.stop.is_set()
    assert runtime.producer.stopped


async def test_a_service_whose_parent_has_gone_stops_by_itself() -> None:
    runtime = Faked(Stops(), Producer(), parent=os.getpid())  # not its parent: as if gone
    await asyncio.wait_for(runtime.run(), 10 * GRACE_S)
    assert runtime.stop.is_set()
    assert runtime.producer.stopped


async def test_a_service_whose_parent_lives_runs_on() -> None:
    runtime = Faked(Stops(), Producer(), parent=os.getppid())
    running = asyncio.create_task(runtime.run())
    await asyncio.sleep(1)  # the watch looks at once, then every half second
    assert runtime.started
    assert not runtime.stop.is_set()
    runtime.stop.set()
    await asyncio.wait_for(running, 10 * GRACE_S)
