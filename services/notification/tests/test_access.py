"""An order's notices per role: a viewer sees the customer's email masked, the manager and
an operator of the order's market whole, an operator of another market nothing (404, as
in ticketing). The store is in memory; the route, the guard and the masking are real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ordo_events import events as ev
from ordo_notification.api import router
from ordo_notification.app import service
from ordo_runtime.auth import Authenticator, secure
from ordo_runtime.testing import Scenario, sample_order

CALLERS: dict[str, dict[str, Any]] = {
    "manager": {"name": "maria", "role": "manager"},
    "operator": {"name": "olek", "role": "operator", "markets": ["PL"]},
    "seller": {"name": "shop", "role": "seller"},
    "viewer": {"name": "vera", "role": "viewer"},
}
POLISH = sample_order(external_id="N-PL")
GERMAN = sample_order(external_id="N-DE", market="DE", currency="EUR", language="de")


def as_(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {role}-token-for-notification-tests"}


class FakeRuntime:
    def __init__(self, scenario: Scenario):
        self.app = scenario.app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    scenario = Scenario(service)
    for order in (POLISH, GERMAN):
        scenario.when(ev.OrderReceived(order_id=order.order_id, order=order))
    app = FastAPI()
    app.include_router(router)
    app.state.runtime = FakeRuntime(scenario)
    tokens = {as_(r)["Authorization"].split()[1]: who for r, who in CALLERS.items()}
    secure(app, Authenticator.from_config(tokens))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notification") as client:
        yield client


async def test_a_viewer_sees_the_customers_email_masked_and_the_manager_whole(
    client: httpx.AsyncClient,
) -> None:
    viewer = (await client.get(f"/notices/{POLISH.order_id}", headers=as_("viewer"))).json()
    manager = (await client.get(f"/notices/{POLISH.order_id}", headers=as_("manager"))).json()
    assert POLISH.customer.email == "jan@example.com"
    assert (viewer["email"], manager["email"]) == ("j***@example.com", "jan@example.com")
    assert viewer["requested"] == manager["requested"] == ["received"]


async def test_an_operator_sees_their_markets_notices_only(client: httpx.AsyncClient) -> None:
    mine = await client.get(f"/notices/{POLISH.order_id}", headers=as_("operator"))
    assert mine.json()["email"] == "jan@example.com"
    theirs = await client.get(f"/notices/{GERMAN.order_id}", headers=as_("operator"))
    missing = await client.get("/notices/nope", headers=as_("operator"))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"] == f"nothing known of order {GERMAN.order_id!r}"
    seller = await client.get(f"/notices/{POLISH.order_id}", headers=as_("seller"))
    assert (seller.status_code, seller.json()["permission"]) == (403, "orders:read")
