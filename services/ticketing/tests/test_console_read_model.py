"""The queue, the console's fragments, dead-letter retries and the SLA sweep over the read
model on a real PostgreSQL, driven through the API as the console drives it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from aiokafka.structs import ConsumerRecord

from ordo_events import events as ev
from ordo_events.envelope import Envelope, decode
from ordo_runtime.outbox import OUTGOING_TOPIC, Outgoing
from ordo_runtime.testing import sample_order
from ordo_ticketing import deadletters
from ordo_ticketing.sweep import sweep

if TYPE_CHECKING:
    from services.ticketing.tests.conftest import ReadSide

pytestmark = pytest.mark.integration
AS_OLA = {"X-Operator": "ola"}


def no_phone(order_id: str) -> ev.OrderValidationFailed:
    issue = ev.Issue(code="phone.missing", field="customer.phone", message="No phone number.")
    return ev.OrderValidationFailed(order_id=order_id, issues=[issue])


async def post(side: ReadSide, path: str, body: dict[str, Any], expect: int = 202) -> Any:
    response = await side.client.post(path, json=body, headers=AS_OLA)
    assert response.status_code == expect, response.text
    # What the command published reaches the projection, as the relay would bring it.
    await side.apply([side.envelope(e) for e in side.runtime.published])
    side.runtime.published.clear()
    return response.json()


async def orders_with_tickets(side: ReadSide) -> dict[str, str]:
    """Three orders, three tickets: a missing phone (webshop, PL, 2 h ago), a shortage
    (allegro, PL, 90 min ago), a declined payment (webshop, CZ, 10 min ago)."""
    now = datetime.now(UTC)
    plan = [
        ("w-1", "webshop", "PL", 120, no_phone),
        ("a-1", "allegro", "PL", 90, lambda oid: ev.StockShortage(order_id=oid, missing=[])),
        ("w-2", "webshop", "CZ", 10, lambda oid: ev.PaymentFailed(order_id=oid, reason="declined")),
    ]
    tickets = {}
    for external_id, channel, market, minutes_ago, failure in plan:
        order = sample_order(external_id=external_id, channel=channel, market=market)
        side.clock = now - timedelta(minutes=minutes_ago + 1)
        (opened,) = await side.happen(
            ev.OrderReceived(order_id=order.order_id, order=order), failure(order.order_id)
        )
        assert isinstance(opened, ev.TicketOpened)
        tickets[external_id] = opened.ticket_id
    return tickets


async def test_the_queue_filters_sorts_and_counts(read_side: ReadSide) -> None:
    t = await orders_with_tickets(read_side)

    async def ids(**params: Any) -> list[str]:
        return [i["id"] for i in (await read_side.get("/queue", **params))["items"]]

    assert await ids(sort="age", order="asc") == [t["w-1"], t["a-1"], t["w-2"]]
    assert (await ids(sort="severity", order="asc"))[:1] == [t["a-1"]]  # out of stock is high
    assert await ids(channel="webshop", order="asc") == [t["w-1"], t["w-2"]]
    assert await ids(market="CZ") == [t["w-2"]]
    assert await ids(reason="out_of_stock") == [t["a-1"]]
    assert await ids(min_age_m=60, order="asc") == [t["w-1"], t["a-1"]]
    assert await ids(max_age_m=60) == [t["w-2"]]

    await post(read_side, f"/tickets/{t['w-1']}/assign", {})
    await post(read_side, f"/tickets/{t['a-1']}/hold", {"note": "delivery on Monday"})
    queue = await read_side.get("/queue", status="live")
    by_id = {i["id"]: i for i in queue["items"]}
    assert (by_id[t["w-1"]]["status"], by_id[t["w-1"]]["assignee"]) == ("assigned", "ola")
    assert by_id[t["a-1"]]["status"] == "on_hold"
    assert queue["counts"]["status"] == {"assigned": 1, "on_hold": 1, "open": 1}
    assert queue["total"] == 3
    assert await ids(status="on_hold") == [t["a-1"]]

    await post(read_side, f"/tickets/{t['a-1']}/release", {})
    asked = await post(read_side, f"/tickets/{t['w-2']}/cancel-order", {"reason": "customer asked"})
    assert (asked["cancellation"], asked["status"]) == ("requested", "open")  # the gate decides
    w2 = (await read_side.get(f"/tickets/{t['w-2']}"))["order_id"]
    await read_side.happen(
        ev.OrderCancelled(order_id=w2, reason="customer asked", cancelled_by="ola")
    )
    queue = await read_side.get("/queue")
    assert queue["counts"]["status"] == {"assigned": 1, "cancelled": 1, "open": 1}
    assert queue["counts"]["reason"] == {
        "out_of_stock": 1, "payment_declined": 1, "validation_failed": 1,
    }  # fmt: skip
    cancelled = await read_side.get(f"/tickets/{t['w-2']}")
    assert cancelled["order_state"]["status"] == "cancelled"
    row = await read_side.pool.fetchrow("SELECT status FROM orders WHERE order_id = $1",
                                        cancelled["order_id"])  # fmt: skip
    assert row["status"] == "cancelled"
    await post(read_side, f"/tickets/{t['w-2']}/hold", {}, expect=409)


async def test_an_action_says_who_acts_or_is_refused(read_side: ReadSide) -> None:
    t = await orders_with_tickets(read_side)
    response = await read_side.client.post(f"/tickets/{t['w-1']}/hold", json={})
    assert response.status_code == 422
    assert "X-Operator" in response.json()["detail"]
    await post(read_side, "/tickets/nope/assign", {}, expect=404)


async def test_the_console_shows_the_queue_and_a_ticket_in_the_operators_language(
    read_side: ReadSide,
) -> None:
    t = await orders_with_tickets(read_side)
    shell = await read_side.client.get("/console")
    assert shell.status_code == 200
    assert 'id="token"' in shell.text
    assert "Authorization" in shell.text
    fragment = await read_side.client.get("/console/queue", params={"status": "live"})
    assert fragment.status_code == 200, fragment.text
    assert fragment.text.count('class="item') == 3
    detail = await read_side.client.get(
        f"/console/tickets/{t['w-1']}", headers={"Accept-Language": "pl-PL,pl;q=0.9"}
    )
    assert detail.status_code == 200, detail.text
    assert "Klient nie podał numeru telefonu." in detail.text
    assert "Rozwiąż</button>" in detail.text  # the labels as well as the instructions
    assert "OrderValidationFailed" in detail.text  # the timeline
    russian = await read_side.client.get("/console/queue", params={"lang": "ru", "reason": "x"})
    assert "Ничего не найдено." in russian.text
    assert "<th>причина</th>" in russian.text
    as_json = await read_side.get(f"/tickets/{t['w-1']}", lang="ru")
    assert "Клиент не указал номер телефона." in as_json["instructions"]


async def a_dead_letter(side: ReadSide, original: Envelope) -> None:
    """Validation's handler failed on `original`: its dead letter reaches the read model."""
    headers = [
        *original.headers(),
        ("dlq_reason", b"handler failed: boom"),
        ("dlq_service", b"/ordo/validation"),
        ("dlq_origin", b"ordo.orders/3/17"),
        ("dlq_key", base64.b64encode(b"\xffa channel's own key")),
    ]
    value = original.value()
    letter = ConsumerRecord(
        "ordo.deadletter", 0, 5, 1_740_819_600_000, 0, b"/ordo/validation", value, None,
        len(value), -1, tuple(headers),
    )  # fmt: skip
    await side.apply([], [letter])


def outbox(side: ReadSide) -> list[Outgoing]:
    """What ticketing has stored for its relay to publish, oldest first."""
    app = side.scenario.app
    notes = app.process_recorder.select_notifications(start=0, limit=100, topics=[OUTGOING_TOPIC])
    return [r for n in notes if isinstance(r := app.mapper.to_domain_event(n), Outgoing)]


async def test_a_dead_letter_is_retried_to_its_original_topic(read_side: ReadSide) -> None:
    order = sample_order()
    original = Envelope(data=ev.OrderReceived(order_id=order.order_id, order=order), source="/x")
    value = original.value()
    await a_dead_letter(read_side, original)
    (item,) = (await read_side.get("/queue", kind="dead_letter"))["items"]
    assert (item["reason"], item["status"], item["order_id"]) == (
        "dead_letter", "open", order.order_id,
    )  # fmt: skip

    assert (await post(read_side, "/deadletters/retry", {"ids": [item["id"]]}))["retried"]
    (record,) = outbox(read_side)
    assert (record.topic, record.value) == ("ordo.orders", value)
    assert record.kafka_key() == b"\xffa channel's own key"  # as it was, not the order id
    assert record.headers["ordo_retry_of"] == item["id"]
    assert not any(k.startswith("dlq_") for k in record.headers)
    assert decode(record.kafka_value(), record.kafka_headers()).id == original.id
    (item,) = (await read_side.get("/queue", kind="dead_letter"))["items"]
    assert (item["status"], item["assignee"]) == ("retried", "ola")
    await post(read_side, "/deadletters/retry", {"ids": ["nope"]}, expect=404)


async def test_a_retry_that_stopped_before_marking_is_marked_when_asked_again_not_sent_twice(
    read_side: ReadSide,
) -> None:
    order = sample_order()
    original = Envelope(data=ev.OrderReceived(order_id=order.order_id, order=order), source="/x")
    await a_dead_letter(read_side, original)
    (letter,) = await read_side.get("/deadletters")
    # An earlier retry published the original, then its process died before marking the letter.
    rows = await deadletters.load(read_side.pool, [letter["id"]])
    await read_side.runtime.execute(
        deadletters.RetryDeadLetters([deadletters.original_record(rows[0])])
    )
    assert [r.topic for r in outbox(read_side)] == ["ordo.orders"]
    assert (await read_side.get("/deadletters"))[0]["retries"] == 0

    await post(read_side, "/deadletters/retry", {"ids": [letter["id"]]})

    assert [r.topic for r in outbox(read_side)] == ["ordo.orders"]  # not published twice
    (letter,) = await read_side.get("/deadletters")
    assert (letter["retries"], letter["retried_by"]) == (1, "ola")
    await post(read_side, "/deadletters/retry", {"ids": [letter["id"]]})  # asked for again
    assert [r.topic for r in outbox(read_side)] == ["ordo.orders", "ordo.orders"]
    assert (await read_side.get("/deadletters"))[0]["retries"] == 2


async def test_the_sweep_opens_one_ticket_for_an_order_stuck_past_its_stage_sla(
    read_side: ReadSide,
) -> None:
    now = datetime.now(UTC)
    stuck, fresh = sample_order(external_id="s-1"), sample_order(external_id="s-2")
    read_side.clock = now - timedelta(minutes=30)  # validation's SLA is 5 minutes
    await read_side.happen(ev.OrderReceived(order_id=stuck.order_id, order=stuck))
    read_side.clock = now - timedelta(minutes=3)
    await read_side.happen(ev.OrderReceived(order_id=fresh.order_id, order=fresh))

    async def execute(command: Any, cause_id: str | None = None) -> list[ev.Event]:
        return await read_side.runtime.execute(command, cause_id)

    assert await sweep(read_side.pool, execute, now) == 1
    (opened,) = read_side.runtime.published
    assert isinstance(opened, ev.TicketOpened)
    assert (opened.order_id, opened.reason, opened.stage) == (
        stuck.order_id, "order_stuck", "validation",
    )  # fmt: skip
    assert await sweep(read_side.pool, execute, now + timedelta(seconds=30)) == 0  # a replica


async def test_the_sweep_opens_a_returned_parcels_ticket_that_waited_too_long_for_payment(
    read_side: ReadSide,
) -> None:
    now = datetime.now(UTC)
    late, recent = sample_order(external_id="r-1"), sample_order(external_id="r-2")  # COD
    for order, minutes_ago in ((late, 30), (recent, 5)):  # the wait is 15 minutes
        oid, sid = order.order_id, f"{order.order_id}-S1"
        read_side.clock = now - timedelta(minutes=minutes_ago + 3)  # 3 events, a minute each
        back = ev.ShipmentStatusChanged(
            order_id=oid,
            shipment_id=sid,
            status="returned_to_sender",
            lines=[ev.ReservedLine(sku="SKU-1", quantity=1, warehouse="main")],
        )
        # Payment never says what the parcel left unpaid: the ticket waits for it.
        assert (
            await read_side.happen(
                ev.OrderReceived(order_id=oid, order=order),
                ev.ShipmentStatusChanged(order_id=oid, shipment_id=sid, status="in_transit"),
                back,
            )
            == []
        )

    async def execute(command: Any, cause_id: str | None = None) -> list[ev.Event]:
        return await read_side.runtime.execute(command, cause_id)

    assert await sweep(read_side.pool, execute, now) == 1
    (opened,) = read_side.runtime.published
    assert isinstance(opened, ev.TicketOpened)
    assert (opened.order_id, opened.reason) == (late.order_id, "returned_to_sender")
    assert opened.details["uncollected_unknown"] is True
    await read_side.apply([read_side.envelope(opened)])
    read_side.runtime.published.clear()
    assert await sweep(read_side.pool, execute, now + timedelta(seconds=30)) == 0
