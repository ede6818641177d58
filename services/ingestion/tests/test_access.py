"""Ingestion's reads per role: a viewer sees refused payloads with customer data masked, the
manager sees them whole, an operator sees only their markets' (404 for another's, as in
ticketing). Commands run in memory; the routes, the guard and the masking are the real ones."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ordo_events import events as ev
from ordo_ingestion.routes import router
from ordo_runtime.auth import Authenticator, secure
from services.ingestion.tests.support import FakeRuntime

TOPIC = "ordo.channel.orders"
CALLERS: dict[str, dict[str, Any]] = {
    "manager": {"name": "maria", "role": "manager"},
    "operator": {"name": "olek", "role": "operator", "markets": ["PL"]},
    "seller": {"name": "shop", "role": "seller"},
    "viewer": {"name": "vera", "role": "viewer"},
}
CUSTOMER = {"name": "Jan Kowalski", "email": "jan@example.com", "phone": "+48 601 234 789"}
SECRETS = ("Kowalski", "jan@example.com", "601 234", "Długa")


def as_(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {role}-token-for-ingestion-tests"}


@pytest.fixture
async def client(runtime: FakeRuntime) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(router)
    app.state.runtime = runtime
    tokens = {as_(r)["Authorization"].split()[1]: who for r, who in CALLERS.items()}
    secure(app, Authenticator.from_config(tokens))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ingestion") as client:
        yield client


def refused(order_data: dict[str, Any], external_id: str, market: str) -> bytes:
    """A canonical order with no lines: refused, and kept with the customer's data in it."""
    data = copy.deepcopy(order_data) | {"external_id": external_id, "market": market}
    data["customer"] = CUSTOMER
    data["delivery"]["address"] |= {
        "name": "Jan Kowalski", "line1": "ul. Długa 5", "city": "Warszawa"
    }  # fmt: skip
    data["lines"] = []
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.fixture
def rejected(runtime: FakeRuntime, order_data: dict[str, Any]) -> dict[str, bytes]:
    """A Polish rejection, then a German one (the newest)."""
    bodies = {market: refused(order_data, f"R-{market}", market) for market in ("PL", "DE")}
    for body in bodies.values():
        (rejection,) = runtime.scenario.when_raw(TOPIC, body)
        assert isinstance(rejection, ev.OrderRejected)
    return bodies


async def rejection_ids(client: httpx.AsyncClient) -> dict[str, str]:
    """Rejection ids by market, as the manager lists them."""
    page = (await client.get("/rejections", headers=as_("manager"))).json()
    return {json.loads(r["raw"])["market"]: r["rejection_id"] for r in page["rejections"]}


async def test_the_manager_sees_refused_payloads_whole(
    client: httpx.AsyncClient, rejected: dict[str, bytes]
) -> None:
    ids = await rejection_ids(client)
    for market, body in rejected.items():
        found = await client.get(f"/rejections/{ids[market]}", headers=as_("manager"))
        assert found.json()["raw"] == body.decode()


async def test_a_viewer_sees_refused_payloads_with_customer_data_masked(
    client: httpx.AsyncClient, rejected: dict[str, bytes]
) -> None:
    ids = await rejection_ids(client)
    found = await client.get(f"/rejections/{ids['PL']}", headers=as_("viewer"))
    assert found.status_code == 200, found.text
    raw = json.loads(found.json()["raw"])
    assert raw["customer"] == {
        "name": "J*** K***",
        "email": "j***@example.com",
        "phone": "+48 *** *** 789",
    }
    assert raw["delivery"]["address"]["line1"] == "***"
    assert raw["delivery"]["address"]["city"] == "Warszawa"  # where, not who
    assert [i["field"] for i in found.json()["issues"]] == ["lines"]
    listed = await client.get("/rejections", headers=as_("viewer"))
    assert len(listed.json()["rejections"]) == 2
    assert not [s for s in SECRETS if s in listed.text or s in found.text]


async def test_names_and_companies_are_masked_for_a_viewer_in_fields_and_free_text(
    client: httpx.AsyncClient, runtime: FakeRuntime, order_data: dict[str, Any]
) -> None:
    data = json.loads(refused(order_data, "R-NOTE", "PL"))
    data["invoice"] = {"company": "Kowalski Trading", "tax_id": "5261040828"}
    data["note"] = "Jan Kowalski of Kowalski Trading pays 19.90 on delivery"  # an unknown field
    body = json.dumps(data, ensure_ascii=False, indent=1)
    (refusal,) = runtime.scenario.when_raw(TOPIC, body.encode())
    assert isinstance(refusal, ev.OrderRejected)
    (listed,) = (await client.get("/rejections", headers=as_("viewer"))).json()["rejections"]
    masked = json.loads(listed["raw"])
    assert masked["invoice"]["company"] == "K*** T***"
    assert masked["note"] == "J*** K*** of K*** T*** pays 19.90 on delivery"
    assert "Kowalski" not in listed["raw"]
    assert listed["raw"].count("\n") == body.count("\n")  # as sent, but for what is masked
    for role in ("manager", "operator"):
        (whole,) = (await client.get("/rejections", headers=as_(role))).json()["rejections"]
        assert whole["raw"] == body


async def test_a_payload_that_is_not_json_is_masked_for_a_viewer_too(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    body = '{"customer": {"email": "jan@example.com", "name": "Jan Kowalski"}, "lines": ['
    runtime.scenario.when_raw(TOPIC, body.encode())
    (listed,) = (await client.get("/rejections", headers=as_("viewer"))).json()["rejections"]
    assert listed["raw"] == (
        '{"customer": {"email": "j***@example.com", "name": "J*** K***"}, "lines": ['
    )


async def test_an_operator_sees_only_their_markets_rejections_whole(
    client: httpx.AsyncClient, rejected: dict[str, bytes]
) -> None:
    ids = await rejection_ids(client)
    mine = await client.get(f"/rejections/{ids['PL']}", headers=as_("operator"))
    assert mine.json()["raw"] == rejected["PL"].decode()  # operators may see customer data
    theirs = await client.get(f"/rejections/{ids['DE']}", headers=as_("operator"))
    assert theirs.status_code == 404
    # The German one is the newest: a page of one is still the operator's Polish one.
    page = await client.get("/rejections", params={"limit": 1}, headers=as_("operator"))
    assert [r["rejection_id"] for r in page.json()["rejections"]] == [ids["PL"]]


async def test_a_seller_reads_no_rejections(
    client: httpx.AsyncClient, rejected: dict[str, bytes]
) -> None:
    response = await client.get("/rejections", headers=as_("seller"))
    assert (response.status_code, response.json()["permission"]) == (403, "orders:read")


async def test_an_operator_learns_of_another_markets_intake_nothing(
    client: httpx.AsyncClient, runtime: FakeRuntime, order_data: dict[str, Any]
) -> None:
    ids = {}
    for market in ("PL", "DE"):
        body = json.dumps(order_data | {"external_id": f"I-{market}", "market": market})
        (received,) = runtime.scenario.when_raw(TOPIC, body.encode())
        assert isinstance(received, ev.OrderReceived)
        ids[market] = received.order_id
    mine = await client.get(f"/orders/{ids['PL']}/intake", headers=as_("operator"))
    assert (mine.status_code, mine.json()["market"]) == (200, "PL")
    theirs = await client.get(f"/orders/{ids['DE']}/intake", headers=as_("operator"))
    missing = await client.get("/orders/nope/intake", headers=as_("operator"))
    assert theirs.status_code == missing.status_code == 404
    assert "not taken" in theirs.json()["detail"]
    viewer = await client.get(f"/orders/{ids['DE']}/intake", headers=as_("viewer"))
    assert viewer.json()["received"] is True
