"""What ticketing's tests start from: an order complete except for the customer's phone, and
a read side on a real PostgreSQL (the projection, the API and the console over it)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from ordo_devstack.postgres import EmbeddedPostgres
from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import CanonicalOrder
from ordo_runtime import UnitOfWork
from ordo_runtime.consumer import Record
from ordo_runtime.settings import with_database
from ordo_runtime.testing import Scenario, sample_order
from ordo_ticketing.api import router
from ordo_ticketing.app import service
from ordo_ticketing.console import router as console
from ordo_ticketing.projection import OrderProjection

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def make_order(**changes: Any) -> CanonicalOrder:
    fields: dict[str, Any] = {
        "customer": {"name": "Jan Kowalski", "email": "jan@example.com"},
        "payment": {"method": "prepaid"},
        "lines": [{"sku": "SKU-1", "quantity": 2, "unit_price": "19.99"}],
    }
    return sample_order(**(fields | changes))


@pytest.fixture
def order() -> CanonicalOrder:
    return make_order()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    with EmbeddedPostgres() as server:
        yield server.url


class FakeRuntime:
    """What the routes use of a Runtime: the read pool, and commands run in memory."""

    def __init__(self, pool: asyncpg.Pool, scenario: Scenario):
        self.pool, self.scenario = pool, scenario
        self.published: list[ev.Event] = []

    async def execute(
        self, command: Callable[[UnitOfWork], Sequence[ev.Event]], cause_id: str | None = None
    ) -> list[ev.Event]:
        events = self.scenario.execute(command)
        self.published += events
        return events


class ReadSide:
    def __init__(self, pool: asyncpg.Pool):
        self.pool, self.projection = pool, OrderProjection()
        self.scenario = Scenario(service)
        self.clock = T0
        self.app = app = FastAPI()  # a test may secure it (ordo_runtime.auth.secure)
        app.include_router(router)
        app.include_router(console)
        self.runtime = FakeRuntime(pool, self.scenario)
        app.state.runtime = self.runtime
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://ticketing"
        )

    def envelope(self, event: ev.Event) -> Envelope:
        self.clock += timedelta(minutes=1)
        return Envelope(data=event, source="/test", time=self.clock)

    async def apply(self, envelopes: Sequence[Envelope], raw: Sequence[Record] = ()) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await self.projection.apply(conn, envelopes, raw)

    async def happen(self, *events: ev.Event) -> list[ev.Event]:
        """Events reach ticketing's process side and the projection; what the process side
        publishes reaches the projection too. Returns what was published."""
        published: list[ev.Event] = []
        for event in events:
            published += self.scenario.when(event)
        await self.apply([self.envelope(e) for e in (*events, *published)])
        return published

    async def get(self, path: str, expect: int = 200, **params: Any) -> Any:
        response = await self.client.get(path, params=params)
        assert response.status_code == expect, response.text
        return response.json()


@pytest.fixture
async def read_side(server_url: str) -> AsyncIterator[ReadSide]:
    name = f"ticketing_{uuid.uuid4().hex[:12]}"  # a database per test: no shared rows
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    pool = await asyncpg.create_pool(with_database(server_url, name), min_size=1, max_size=2)
    side = ReadSide(pool)
    async with pool.acquire() as conn:
        await side.projection.setup(conn)
    yield side
    await side.client.aclose()
    await pool.close()
