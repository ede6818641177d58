"""A realistic canonical order, as a channel would send it, for ingestion's tests."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ordo_ingestion.app import service
from ordo_runtime.testing import Scenario, sample_order
from services.ingestion.tests.support import FakeRuntime

ORDER: dict[str, Any] = sample_order(
    lines=[{"sku": "SKU-1", "quantity": 2, "unit_price": "19.99"}]
).model_dump(mode="json", exclude_none=True)


@pytest.fixture
def order_data() -> dict[str, Any]:
    """A fresh copy each time, so a test may break it as it likes."""
    return copy.deepcopy(ORDER)


@pytest.fixture
def runtime() -> FakeRuntime:
    return FakeRuntime(Scenario(service))


@pytest.fixture
async def client(runtime: FakeRuntime) -> AsyncIterator[httpx.AsyncClient]:
    service.http.state.runtime = runtime
    transport = httpx.ASGITransport(app=service.http)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingestion") as client:
        yield client
