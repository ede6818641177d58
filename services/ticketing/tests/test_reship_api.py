"""POST /tickets/{id}/reship, the console's "send again" form and the returned parcels'
sweep over the read model on a real PostgreSQL, driven as the console drives them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from ordo_events import events as ev
from ordo_runtime.testing import sample_order
from ordo_ticketing.sweep import sweep

if TYPE_CHECKING:
    from services.ticketing.tests.conftest import ReadSide

pytestmark = pytest.mark.integration
AS_OLA = {"X-Operator": "ola"}
LINE = ev.ReservedLine(sku="SKU-1", quantity=1, warehouse="main")
ADDRESS = {"line1": "Nowa 5", "city": "Kraków", "postcode": "30-001", "country": "PL"}


async def post(side: ReadSide, path: str, body: Any, expect: int = 202) -> Any:
    """The answer; what the command published reaches the projection, as the relay would
    bring it, and stays in `side.sent` for the test to look at."""
    response = await side.client.post(path, json=body, headers=AS_OLA)
    assert response.status_code == expect, response.text
    await side.apply([side.envelope(e) for e in side.runtime.published])
    sent.extend(side.runtime.published)
    side.runtime.published.clear()
    return response.json()


sent: list[ev.Event] = []


@pytest.fixture(autouse=True)
def nothing_sent() -> None:
    sent.clear()


def status(oid: str, sid: str, to: ev.ShipmentStatus, replaces: str | None = None) -> ev.Event:
    return ev.ShipmentStatusChanged(
        order_id=oid, shipment_id=sid, status=to, lines=[LINE], replaces=replaces
    )


async def a_returned_ticket(side: ReadSide, external_id: str = "rs-1") -> tuple[str, str]:
    """A prepaid order whose parcel came back: (its order id, its returned_to_sender ticket)."""
    order = sample_order(external_id=external_id, payment={"method": "prepaid"})
    oid = order.order_id
    ticket = (
        await side.happen(
            ev.OrderReceived(order_id=oid, order=order),
            status(oid, f"{oid}-S1", "in_transit"),
            status(oid, f"{oid}-S1", "returned_to_sender"),
        )
    )[0]
    assert isinstance(ticket, ev.TicketOpened)
    return oid, ticket.ticket_id


async def test_reship_asks_and_answers_the_open_ticket(read_side: ReadSide) -> None:
    oid, tid = await a_returned_ticket(read_side)
    answer = await post(read_side, f"/tickets/{tid}/reship", {"address": ADDRESS})
    assert (answer["reship"], answer["status"], answer["ticket_id"]) == ("requested", "open", tid)
    (asked,) = sent
    assert isinstance(asked, ev.ReshipRequested)
    assert (asked.shipment_id, asked.requested_by) == (f"{oid}-S1", "ola")
    assert asked.address is not None
    assert asked.address.city == "Kraków"

    refused = await post(read_side, f"/tickets/{tid}/reship", None, expect=409)
    assert "is being sent again already" in refused["detail"]
    timeline = (await read_side.get(f"/orders/{oid}"))["timeline"]
    assert timeline[-1]["summary"] == "ola asked to send shipment S1 again to a new address"


async def test_reship_without_a_body_or_address_sends_where_it_went(read_side: ReadSide) -> None:
    _, tid = await a_returned_ticket(read_side)
    await post(read_side, f"/tickets/{tid}/reship", None)
    _, other = await a_returned_ticket(read_side, "rs-2")
    await post(read_side, f"/tickets/{other}/reship", {"address": None})
    assert [e.address for e in sent if isinstance(e, ev.ReshipRequested)] == [None, None]


@pytest.mark.parametrize(
    "address",
    [{**ADDRESS, "country": "POL"}, {"line1": "Nowa 5"}, {**ADDRESS, "floor": 2}],
)
async def test_an_invalid_address_is_422(read_side: ReadSide, address: dict[str, Any]) -> None:
    _, tid = await a_returned_ticket(read_side)
    await post(read_side, f"/tickets/{tid}/reship", {"address": address}, expect=422)
    assert sent == []


async def test_reship_is_refused_for_another_ticket_a_cancelled_order_or_none(
    read_side: ReadSide,
) -> None:
    oid, tid = await a_returned_ticket(read_side)
    issue = ev.Issue(code="phone.missing", field="customer.phone", message="No phone number.")
    (other,) = await read_side.happen(ev.OrderValidationFailed(order_id=oid, issues=[issue]))
    assert isinstance(other, ev.TicketOpened)
    refused = await post(read_side, f"/tickets/{other.ticket_id}/reship", None, expect=409)
    assert "only a parcel returned to sender is sent again" in refused["detail"]
    await post(read_side, f"/tickets/{tid}/cancel-order", {"reason": "moved away"})
    refused = await post(read_side, f"/tickets/{tid}/reship", None, expect=409)
    assert "is being cancelled" in refused["detail"]
    await read_side.happen(ev.OrderCancelled(order_id=oid, reason="moved away", cancelled_by="ola"))
    await post(read_side, f"/tickets/{tid}/reship", None, expect=409)
    await post(read_side, "/tickets/nope/reship", None, expect=404)


async def test_the_console_offers_send_again_on_a_live_returned_ticket_only(
    read_side: ReadSide,
) -> None:
    oid, tid = await a_returned_ticket(read_side)
    detail = await read_side.client.get(f"/console/tickets/{tid}", params={"lang": "pl"})
    assert detail.status_code == 200, detail.text
    assert f'data-action="/tickets/{tid}/reship" id="reship"' in detail.text
    assert 'name="address.postcode"' in detail.text
    assert "Wyślij przesyłkę ponownie</button>" in detail.text
    assert "wyślij przesyłkę ponownie z tego zgłoszenia (reship" in detail.text

    await post(read_side, f"/tickets/{tid}/reship", {})
    (resolved,) = await read_side.happen(
        ev.ShipmentPlanned(
            order_id=oid, shipment_id=f"{oid}-S2", warehouse="main", lines=[LINE],
            replaces=f"{oid}-S1",
        )
    )  # fmt: skip
    assert isinstance(resolved, ev.TicketResolved)
    ticket = await read_side.get(f"/tickets/{tid}")
    assert (ticket["status"], ticket["resolved_by"]) == ("resolved", "ola")
    assert ticket["resolution"] == f"sent again as shipment {oid}-S2"
    detail = await read_side.client.get(f"/console/tickets/{tid}")
    assert 'id="reship"' not in detail.text


async def test_a_shortage_ticket_reaches_the_queue(read_side: ReadSide) -> None:
    oid, tid = await a_returned_ticket(read_side)
    await post(read_side, f"/tickets/{tid}/reship", None)
    missing = [ev.MissingStock(sku="SKU-1", requested=1, available=0)]
    (short,) = await read_side.happen(
        ev.ReshipShortage(order_id=oid, shipment_id=f"{oid}-S1", missing=missing)
    )
    assert isinstance(short, ev.TicketOpened)
    (item,) = (await read_side.get("/queue", reason="reship_short"))["items"]
    assert (item["id"], item["severity"]) == (short.ticket_id, "high")
    ticket = await read_side.get(f"/tickets/{short.ticket_id}", lang="de")
    assert "SKU-1: 1 benötigt, 0 verfügbar" in ticket["instructions"]


async def test_the_sweep_opens_a_ticket_for_a_replacement_that_came_back_not_the_first(
    read_side: ReadSide,
) -> None:
    now = datetime.now(UTC)
    order = sample_order(external_id="rs-cod")  # cash on delivery
    oid, s1, s2 = order.order_id, f"{order.order_id}-S1", f"{order.order_id}-S2"
    read_side.clock = now - timedelta(minutes=40)
    (first,) = await read_side.happen(
        ev.OrderReceived(order_id=oid, order=order),
        status(oid, s1, "in_transit"),
        status(oid, s1, "returned_to_sender"),
        ev.CashOnDeliveryNotCollected(
            order_id=oid, shipment_id=s1, amount=Decimal("10.00"), currency="PLN"
        ),
    )
    assert isinstance(first, ev.TicketOpened)
    await post(read_side, f"/tickets/{first.ticket_id}/reship", None)
    plan = ev.ShipmentPlanned(order_id=oid, shipment_id=s2, warehouse="main", lines=[LINE],
                              replaces=s1)  # fmt: skip
    # The replacement comes back too, and payment never says what it left unpaid.
    assert [type(e) for e in await read_side.happen(plan)] == [ev.TicketResolved]
    assert await read_side.happen(status(oid, s2, "in_transit", s1)) == []
    assert await read_side.happen(status(oid, s2, "returned_to_sender", s1)) == []

    async def execute(command: Any, cause_id: str | None = None) -> list[ev.Event]:
        return await read_side.runtime.execute(command, cause_id)

    assert await sweep(read_side.pool, execute, now) == 1
    (opened,) = read_side.runtime.published
    assert isinstance(opened, ev.TicketOpened)
    assert (opened.reason, opened.details["subject"]) == ("returned_to_sender", s2)
    await read_side.apply([read_side.envelope(opened)])
    read_side.runtime.published.clear()
    assert await sweep(read_side.pool, execute, now + timedelta(seconds=30)) == 0
