"""The read model on a real PostgreSQL: events go through the projection as the runtime applies
them (one transaction a batch), and the operator API reads them back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from aiokafka.structs import ConsumerRecord

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import CanonicalOrder
from ordo_runtime.consumer import Record

if TYPE_CHECKING:
    from services.ticketing.tests.conftest import ReadSide

pytestmark = pytest.mark.integration


def no_phone(order_id: str) -> ev.OrderValidationFailed:
    issue = ev.Issue(code="phone.missing", field="customer.phone", message="No phone number.")
    return ev.OrderValidationFailed(order_id=order_id, issues=[issue])


async def test_an_order_a_ticket_and_its_resolution_as_the_operator_sees_them(
    read_side: ReadSide, order: CanonicalOrder
) -> None:
    oid = order.order_id
    await read_side.get(f"/orders/{oid}", expect=404)
    (opened,) = await read_side.happen(ev.OrderReceived(order_id=oid, order=order), no_phone(oid))
    assert isinstance(opened, ev.TicketOpened)

    view = await read_side.get("/orders", channel="webshop", external_id="W-1")
    assert (view["order_id"], view["status"], view["validated"]) == (oid, "needs_attention", False)
    assert view["order"]["customer"]["phone"] is None
    assert [t["type"] for t in view["timeline"]] == [
        "OrderReceived",
        "OrderValidationFailed",
        "TicketOpened",
    ]
    assert view["timeline"][1]["summary"] == "No phone number."
    (ticket,) = view["open_tickets"]
    assert ticket["ticket_id"] == opened.ticket_id
    assert "The customer gave no phone number." in ticket["instructions"]
    assert await read_side.get("/tickets", status="open") == [ticket]
    assert await read_side.get("/tickets", status="resolved") == []

    body = {
        "resolved_by": "ola",
        "resolution": "customer gave phone",
        "correction": {"phone": "+48 601 234 567"},
    }
    response = await read_side.client.post(f"/tickets/{opened.ticket_id}/resolve", json=body)
    assert response.status_code == 202, response.text
    assert (response.json()["status"], response.json()["resolved_by"]) == ("resolved", "ola")
    again = await read_side.client.post(f"/tickets/{opened.ticket_id}/resolve", json=body)
    assert again.status_code == 409
    assert "already resolved" in again.json()["detail"]
    unknown = await read_side.client.post("/tickets/nope/resolve", json=body)
    assert unknown.status_code == 404

    resolved, corrected = read_side.runtime.published  # the refused calls published nothing
    assert isinstance(resolved, ev.TicketResolved)
    assert isinstance(corrected, ev.OrderCorrected)
    await read_side.happen(resolved, corrected)  # OrderCorrected comes back: no new ticket
    await read_side.happen(ev.OrderValidated(order_id=oid, order=corrected.order, attempt=2))

    detail = await read_side.get(f"/tickets/{opened.ticket_id}")
    assert (detail["status"], detail["resolved_by"]) == ("resolved", "ola")
    assert detail["correction"]["phone"] == "+48 601 234 567"
    state = detail["order_state"]
    assert (state["status"], state["open_tickets"]) == ("validated", [])
    assert state["order"]["customer"]["phone"] == "+48 601 234 567"
    assert await read_side.get("/tickets", status="resolved", reason="validation_failed") != []
    assert await read_side.get("/tickets", reason="out_of_stock") == []


@pytest.mark.parametrize("arrival", ["ticket first", "order first", "one batch"])
async def test_a_ticket_opened_before_its_order_shows_the_order_once_it_arrives(
    read_side: ReadSide, order: CanonicalOrder, arrival: str
) -> None:
    """The failure overtook OrderReceived (another topic): ticketing opened the ticket not
    knowing the order, so its instructions could not name the customer. Once the read model
    has the order, in any order of arrival, the ticket reads as one opened with it."""
    oid = order.order_id
    (opened,) = read_side.scenario.when(no_phone(oid))  # the process side has no order yet
    assert isinstance(opened, ev.TicketOpened)
    assert "have not reached ticketing" in opened.instructions
    received = ev.OrderReceived(order_id=oid, order=order)
    read_side.scenario.when(received)
    ticket, order_event = read_side.envelope(opened), read_side.envelope(received)
    batches = {
        "ticket first": [[ticket], [order_event]],
        "order first": [[order_event], [ticket]],
        "one batch": [[ticket, order_event]],
    }[arrival]
    for batch in batches:
        await read_side.apply(batch)

    (listed,) = await read_side.get("/tickets")
    assert (listed["channel"], listed["market"]) == ("webshop", "PL")
    assert listed["instructions"].startswith(
        f"Order webshop/W-1 (Ordo id {oid}).\n"
        "Customer: Jan Kowalski; phone not given; email jan@example.com.\n"
    )
    assert "The customer gave no phone number." in listed["instructions"]
    (item,) = (await read_side.get("/queue"))["items"]
    assert (item["channel"], item["market"]) == ("webshop", "PL")
    (in_view,) = (await read_side.get(f"/orders/{oid}"))["open_tickets"]
    assert in_view["instructions"] == listed["instructions"]
    await read_side.apply([ticket])  # redelivered: the order is known, so it stays placed
    assert await read_side.get("/tickets") == [listed]


@pytest.mark.parametrize("lang", ["en", "pl"])
async def test_a_command_answers_the_instructions_the_read_model_shows(
    read_side: ReadSide, order: CanonicalOrder, lang: str
) -> None:
    """The case keeps the text a ticket was opened with; a ticket opened before its order
    could not name the customer, and the read model renders it again once the order is
    known. The answer to a command says what the read model says, without reading it."""
    oid = order.order_id
    (opened,) = read_side.scenario.when(no_phone(oid))
    assert isinstance(opened, ev.TicketOpened)
    await read_side.happen(ev.OrderReceived(order_id=oid, order=order))
    await read_side.apply([read_side.envelope(opened)])
    tid, operator = opened.ticket_id, {"X-Operator": "ola"}
    shown = (await read_side.get(f"/tickets/{tid}", lang=lang))["instructions"]
    assert "Jan Kowalski" in shown  # rendered with the order

    for action in ("assign", "hold", "release"):
        response = await read_side.client.post(
            f"/tickets/{tid}/{action}", json={}, headers=operator, params={"lang": lang}
        )
        assert response.status_code == 202, response.text
        assert response.json()["instructions"] == shown, action
    resolution = {"resolution": "called", "correction": {"phone": "+48 601 234 567"}}
    response = await read_side.client.post(
        f"/tickets/{tid}/resolve", json=resolution, headers=operator, params={"lang": lang}
    )
    assert response.status_code == 202, response.text
    await read_side.apply([read_side.envelope(e) for e in read_side.runtime.published])
    now_shown = (await read_side.get(f"/tickets/{tid}", lang=lang))["instructions"]
    assert response.json()["instructions"] == now_shown


async def test_duplicates_are_stored_once_and_batches_are_idempotent(
    read_side: ReadSide, order: CanonicalOrder
) -> None:
    oid = order.order_id
    first = read_side.envelope(ev.OrderReceived(order_id=oid, order=order))
    failed = read_side.envelope(no_phone(oid))
    await read_side.apply([first, first, failed])
    await read_side.apply([failed])  # a redelivered batch
    count = await read_side.pool.fetchval("SELECT count(*) FROM order_events")
    assert count == 2
    status = await read_side.pool.fetchval("SELECT status FROM orders WHERE order_id = $1", oid)
    assert status == "received"  # validation failed, but no ticket is open yet
    assert len((await read_side.get(f"/orders/{oid}"))["timeline"]) == 2


def ticket_opened(order_id: str, ticket_id: str) -> ev.TicketOpened:
    return ev.TicketOpened(
        order_id=order_id, ticket_id=ticket_id, reason="out_of_stock", stage="inventory",
        instructions="Call the warehouse.",
    )  # fmt: skip


def ticket_resolved(order_id: str, ticket_id: str) -> ev.TicketResolved:
    return ev.TicketResolved(
        order_id=order_id, ticket_id=ticket_id, resolved_by="ola", resolution="ok"
    )


async def test_status_is_kept_right_when_events_arrive_over_many_batches(
    read_side: ReadSide, order: CanonicalOrder
) -> None:
    oid, at = order.order_id, read_side.envelope
    line = [ev.ReservedLine(sku="SKU-1", quantity=2)]
    opened = at(ticket_opened(oid, "t-1"))
    resolved = at(ticket_resolved(oid, "t-1"))
    # A second ticket opened and resolved in one batch that lists them out of time order.
    second = [at(ticket_opened(oid, "t-2")), at(ticket_resolved(oid, "t-2"))]
    told = ev.NotificationSent(order_id=oid, status="received", recipient="a@b.pl", message_id="m")
    paid = ev.PaymentAuthorized(order_id=oid, amount=order.total, currency="PLN", provider_ref="p")
    batches: list[tuple[list[Envelope], str]] = [
        ([at(ev.OrderReceived(order_id=oid, order=order))], "received"),
        ([at(ev.OrderValidated(order_id=oid, order=order))], "validated"),
        ([at(ev.StockShortage(order_id=oid, missing=[])), opened], "needs_attention"),
        ([resolved, at(ev.StockReserved(order_id=oid, lines=line))], "validated"),
        # TicketOpened again: if it counted twice, t-1 would be open once more.
        ([opened, at(paid), at(told)], "validated"),
        (second[::-1], "validated"),
        ([at(ev.OrderReadyForFulfillment(order_id=oid, lines=line))], "ready_for_fulfillment"),
    ]
    for envelopes, expected in batches:
        await read_side.apply(envelopes)
        status = await read_side.pool.fetchval("SELECT status FROM orders WHERE order_id = $1", oid)
        folded = (await read_side.get(f"/orders/{oid}"))["status"]  # the whole history, refolded
        assert (status, folded) == (expected, expected), [e.type for e in envelopes]

    row = await read_side.pool.fetchrow("SELECT * FROM orders WHERE order_id = $1", oid)
    assert (row["channel"], row["external_id"]) == ("webshop", "W-1")
    assert (row["validated"], row["reserved"], row["payment"]) == (True, True, "authorized")
    assert (row["received"], row["rejected"], row["released"]) == (True, False, True)
    assert (row["open_tickets"], row["notified"]) == ([], ["received"])
    assert row["updated_at"] == read_side.clock
    assert await read_side.pool.fetchval("SELECT count(*) FROM order_events") == 11


async def test_dead_letters_are_kept_with_their_reason(read_side: ReadSide) -> None:
    headers = [
        ("ce_type", b"OrderReceived"),
        ("dlq_reason", b"value is not JSON: Expecting value"),
        ("dlq_service", b"/ordo/validation"),
        ("dlq_origin", b"ordo.orders/3/17"),
    ]
    value = b"{not json"
    letter: Record = ConsumerRecord(
        "ordo.deadletter", 0, 5, 1_740_819_600_000, 0, b"/ordo/validation", value, None,
        len(value), -1, tuple(headers),
    )  # fmt: skip
    await read_side.apply([], [letter, letter])
    (found,) = await read_side.get("/deadletters")
    assert found["reason"] == "value is not JSON: Expecting value"
    assert (found["service"], found["origin"]) == ("/ordo/validation", "ordo.orders/3/17")
    assert (found["type"], found["value"]) == ("OrderReceived", "{not json")
    assert found["received_at"].startswith("2025-03-01T09:00:00")


async def test_a_refused_orders_letter_stays_out_of_the_queue(read_side: ReadSide) -> None:
    headers = [
        ("dlq_reason", b"rejected: json.invalid: not JSON"),
        ("dlq_service", b"/ordo/ingestion"),
        ("dlq_origin", b"ordo.channel.orders/0/4"),
        ("dlq_kind", b"rejected"),  # ingestion kept it, and its ticket asks for it
    ]
    value = b"{not json"
    letter: Record = ConsumerRecord(
        "ordo.deadletter", 0, 6, 1_740_819_600_000, 0, b"/ordo/ingestion", value, None,
        len(value), -1, tuple(headers),
    )  # fmt: skip
    await read_side.apply([], [letter])
    assert await read_side.get("/deadletters") == []
