"""The operator API per role: who sees which orders and tickets, masked or whole, and who is
named as acting. The read model is stubbed here (its SQL is tested on PostgreSQL elsewhere);
the routes, the guard and the masking are the real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ordo_events import events as ev
from ordo_runtime import UnitOfWork
from ordo_runtime.auth import Authenticator, secure
from ordo_runtime.testing import sample_order
from ordo_ticketing import queries
from ordo_ticketing.api import router
from ordo_ticketing.console import router as console


def order_view(order_id: str, market: str) -> dict[str, Any]:
    order = sample_order(
        external_id=order_id,
        market=market,
        customer={"name": "Jan Kowalski", "email": "jan@example.com", "phone": "+48 601 234 789"},
        invoice={"company": "Kowalski Trading", "tax_id": "5261040828"},
    )
    return {
        "order_id": order_id,
        "status": "needs_attention",
        "order": order.model_dump(mode="json"),
        "open_tickets": [ticket_row(f"t-{market.lower()}", order_id, market)],
    }


def ticket_row(ticket_id: str, order_id: str, market: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "order_id": order_id,
        "market": market,
        "status": "open",
        "instructions": "Call the customer at +48 601 234 789 or write to jan@example.com.\n"
        "Customer: Jan Kowalski, invoice for Kowalski Trading.",
    }


CALLERS: dict[str, dict[str, Any]] = {
    "manager": {"name": "maria", "role": "manager"},
    "operator": {"name": "olek", "role": "operator", "markets": ["PL"]},
    "seller": {"name": "shop", "role": "seller"},
    "viewer": {"name": "vera", "role": "viewer"},
}
ORDERS = {"o-pl": order_view("o-pl", "PL"), "o-de": order_view("o-de", "DE")}
TICKETS = {"t-pl": ticket_row("t-pl", "o-pl", "PL"), "t-de": ticket_row("t-de", "o-de", "DE")}


class FakeRuntime:
    pool = None

    def __init__(self) -> None:
        self.commands: list[Any] = []

    async def execute(
        self, command: Callable[[UnitOfWork], Sequence[ev.Event]], cause_id: str | None = None
    ) -> list[ev.Event]:
        self.commands.append(command)
        command.ticket = dict(TICKETS[command.ticket_id])  # type: ignore[attr-defined]
        return []


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> FakeRuntime:
    async def view(_: object, order_id: str) -> dict[str, Any] | None:
        return ORDERS.get(order_id)

    async def detail(_: object, ticket_id: str, language: str = "en") -> dict[str, Any] | None:
        found = TICKETS.get(ticket_id)
        return None if found is None else {**found, "order_state": ORDERS[found["order_id"]]}

    async def ticket(_: object, ticket_id: str) -> dict[str, Any] | None:
        return TICKETS.get(ticket_id)

    async def find(*_: object, markets: Any = None) -> list[dict[str, Any]]:
        return [t for t in TICKETS.values() if markets is None or t["market"] in markets]

    async def orders_of(_: object, order_ids: Any) -> list[dict[str, Any]]:
        return [ORDERS[order_id]["order"] for order_id in order_ids]

    monkeypatch.setattr(queries, "order_view", view)
    monkeypatch.setattr(queries, "ticket_detail", detail)
    monkeypatch.setattr(queries, "ticket", ticket)
    monkeypatch.setattr(queries, "find_tickets", find)
    monkeypatch.setattr(queries, "orders_of", orders_of)
    return FakeRuntime()


@pytest.fixture
async def client(runtime: FakeRuntime) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(router)
    app.include_router(console)
    app.state.runtime = runtime
    secure(app, Authenticator.from_config({token(r): who for r, who in CALLERS.items()}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ticketing"
    ) as client:
        yield client


def token(role: str) -> str:
    return f"{role}-token-for-ticketing-tests"


def as_(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role)}"}


async def test_the_manager_sees_every_order_whole(client: httpx.AsyncClient) -> None:
    for order_id in ORDERS:
        response = await client.get(f"/orders/{order_id}", headers=as_("manager"))
        assert response.json() == ORDERS[order_id]


async def test_a_viewer_sees_orders_with_customer_data_masked(client: httpx.AsyncClient) -> None:
    order = (await client.get("/orders/o-pl", headers=as_("viewer"))).json()["order"]
    assert order["customer"] == {
        "name": "J*** K***",
        "email": "j***@example.com",
        "phone": "+48 *** *** 789",
    }
    assert order["delivery"]["address"]["line1"] == "***"
    assert order["delivery"]["address"]["city"] == "Warszawa"
    assert order["invoice"]["company"] == "K*** T***"
    ticket = (await client.get("/tickets/t-pl", headers=as_("viewer"))).json()
    assert "jan@example.com" not in str(ticket)
    assert "601 234 789" not in str(ticket)


@pytest.mark.parametrize("path", ["/orders/o-pl", "/tickets/t-pl", "/tickets"])
async def test_names_in_free_text_are_masked_for_a_viewer_only(
    client: httpx.AsyncClient, path: str
) -> None:
    """The instructions name the customer and the invoice's company; a list of tickets holds
    no order, yet its instructions are masked by their orders' names as well."""
    seen = (await client.get(path, headers=as_("viewer"))).text
    assert "Customer: J*** K***, invoice for K*** T***." in seen
    assert "Kowalski" not in seen
    for role in ("manager", "operator"):
        whole = (await client.get(path, headers=as_(role))).text
        assert "Customer: Jan Kowalski, invoice for Kowalski Trading." in whole


async def test_an_operator_of_pl_sees_pl_orders_whole_and_de_orders_not_at_all(
    client: httpx.AsyncClient,
) -> None:
    polish = await client.get("/orders/o-pl", headers=as_("operator"))
    assert polish.json() == ORDERS["o-pl"]  # operators need the phone to fix an order
    german = await client.get("/orders/o-de", headers=as_("operator"))
    assert german.status_code == 404
    assert (await client.get("/tickets/t-de", headers=as_("operator"))).status_code == 404
    listed = (await client.get("/tickets", headers=as_("operator"))).json()
    assert [t["ticket_id"] for t in listed] == ["t-pl"]
    fragment = await client.get("/console/tickets/t-de", headers=as_("operator"))
    assert fragment.status_code == 404


async def test_an_operator_acts_only_on_their_markets_tickets_and_is_named_by_the_token(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    headers = {**as_("operator"), "X-Operator": "someone-else"}
    done = await client.post("/tickets/t-pl/assign", json={}, headers=headers)
    assert done.status_code == 202
    assert [(c.ticket_id, c.by, c.assignee) for c in runtime.commands] == [("t-pl", "olek", "olek")]
    body = {"resolved_by": "mallory", "resolution": "called the customer"}
    resolved = await client.post("/tickets/t-pl/resolve", json=body, headers=headers)
    assert (resolved.status_code, runtime.commands[-1].by) == (202, "olek")
    refused = await client.post("/tickets/t-de/assign", json={}, headers=as_("operator"))
    assert refused.status_code == 404
    assert len(runtime.commands) == 2


async def test_a_seller_reads_no_tickets_and_a_viewer_acts_on_none(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    seller = await client.get("/tickets", headers=as_("seller"))
    assert (seller.status_code, seller.json()["permission"]) == (403, "tickets:read")
    assert (await client.get("/orders/o-pl", headers=as_("seller"))).status_code == 403
    viewer = await client.post("/tickets/t-pl/assign", json={}, headers=as_("viewer"))
    assert (viewer.status_code, viewer.json()["permission"]) == (403, "tickets:act")
    assert runtime.commands == []


async def test_dead_letters_are_for_the_manager_only(client: httpx.AsyncClient) -> None:
    for role in ("operator", "viewer", "seller"):
        response = await client.get("/deadletters", headers=as_(role))
        assert (response.status_code, response.json()["permission"]) == (403, "raw:read")
    retry = await client.post("/deadletters/retry", json={"ids": ["x"]}, headers=as_("operator"))
    assert retry.status_code == 403
