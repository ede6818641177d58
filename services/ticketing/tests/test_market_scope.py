"""An operator's lists are kept to their markets in the query, before the limit: a page is
never cut short or emptied by other markets' newer tickets. On a real PostgreSQL, through
the real guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from ordo_events import events as ev
from ordo_runtime.auth import Authenticator, secure
from ordo_runtime.testing import sample_order

if TYPE_CHECKING:
    from services.ticketing.tests.conftest import ReadSide

pytestmark = pytest.mark.integration
CALLERS: dict[str, dict[str, Any]] = {
    "manager": {"name": "maria", "role": "manager"},
    "pl": {"name": "olek", "role": "operator", "markets": ["PL"]},
    "pl+de": {"name": "ola", "role": "operator", "markets": ["PL", "DE"]},
}


def token(who: str) -> str:
    return f"{who}-token-for-market-scope-tests"


@pytest.fixture
def side(read_side: ReadSide) -> ReadSide:
    secure(read_side.app, Authenticator.from_config({token(w): c for w, c in CALLERS.items()}))
    return read_side


async def tickets_in(side: ReadSide, markets: list[str]) -> list[str]:
    """One out-of-stock ticket per market, oldest first; their ids in that order."""
    now, opened = datetime.now(UTC), []
    for n, market in enumerate(markets):
        order = sample_order(external_id=f"m-{n}", market=market)
        side.clock = now - timedelta(minutes=60 - n)
        received = ev.OrderReceived(order_id=order.order_id, order=order)
        (ticket,) = await side.happen(
            received, ev.StockShortage(order_id=order.order_id, missing=[])
        )
        assert isinstance(ticket, ev.TicketOpened)
        opened.append(ticket.ticket_id)
    return opened


async def get(side: ReadSide, who: str, path: str, **params: Any) -> Any:
    response = await side.client.get(
        path, params=params, headers={"Authorization": f"Bearer {token(who)}"}
    )
    assert response.status_code == 200, response.text
    return response.json() if "json" in response.headers["content-type"] else response.text


async def test_a_page_of_tickets_is_the_operators_own_however_many_are_newer(
    side: ReadSide,
) -> None:
    pl, *_, cz = await tickets_in(side, ["PL", "DE", "CZ", "CZ"])
    listed = await get(side, "pl", "/tickets", limit=1)
    assert [t["ticket_id"] for t in listed] == [pl]
    newest = await get(side, "manager", "/tickets", limit=1)
    assert [t["ticket_id"] for t in newest] == [cz]


async def test_the_queue_and_its_counts_are_the_operators_markets_before_the_limit(
    side: ReadSide,
) -> None:
    pl, de, _, _ = await tickets_in(side, ["PL", "DE", "CZ", "CZ"])
    queue = await get(side, "pl+de", "/queue", limit=1)
    assert [i["id"] for i in queue["items"]] == [de]
    assert (queue["total"], queue["counts"]["status"]) == (2, {"open": 2})
    oldest = await get(side, "pl+de", "/queue", limit=1, order="asc")
    assert [i["id"] for i in oldest["items"]] == [pl]
    fragment = await get(side, "pl+de", "/console/queue", limit=1)
    assert fragment.count('class="item') == 1
    assert (await get(side, "manager", "/queue"))["total"] == 4


@pytest.mark.parametrize("order_first_in_projection", [False, True])
async def test_a_ticket_opened_before_its_order_arrived_reaches_the_markets_operator(
    side: ReadSide, order_first_in_projection: bool
) -> None:
    """The failure overtook OrderReceived (another topic): ticketing opened the ticket not
    knowing the order, so without a market. Once the read model knows the order's market, in
    either order of arrival, the ticket is in that market's operators' lists."""
    order = sample_order(external_id="late-order", market="PL")
    shortage = ev.StockShortage(order_id=order.order_id, missing=[])
    (ticket,) = side.scenario.when(shortage)  # the process side has not seen the order
    assert isinstance(ticket, ev.TicketOpened)
    assert ticket.market is None
    received = ev.OrderReceived(order_id=order.order_id, order=order)
    side.scenario.when(received)
    first, then = (received, ticket) if order_first_in_projection else (ticket, received)
    await side.apply([side.envelope(first)])
    await side.apply([side.envelope(then)])

    listed = await get(side, "pl", "/tickets")
    assert [(t["ticket_id"], t["market"]) for t in listed] == [(ticket.ticket_id, "PL")]
