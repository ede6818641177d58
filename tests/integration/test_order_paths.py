"""Each path an order can take, on the real stack: given a submission, then its outcome."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest

from ordo_events.order import CanonicalOrder
from ordo_events.topics import CHANNEL_ORDERS, DEAD_LETTER, ORDERS
from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually, order_state, wait_for_status
from tests.integration.kafka_tools import read_events, read_raw, send

pytestmark = pytest.mark.integration


def submit(ordo: Ordo, order: CanonicalOrder) -> str:
    with ordo.http("ingestion") as api:
        response = api.post("/orders", content=order.model_dump_json())
    assert response.status_code == 202, response.text
    order_id: str = response.json()["order_id"]
    assert order_id == order.order_id
    return order_id


def set_stock(ordo: Ordo, sku: str, on_hand: int) -> None:
    with ordo.http("inventory") as api:
        api.put(f"/stock/{sku}", json={"on_hand": on_hand}).raise_for_status()


def notify_payment(ordo: Ordo, order_id: str, nid: str, status: str, amount: str) -> None:
    body = {
        "order_id": order_id,
        "notification_id": nid,
        "status": status,
        "amount": amount,
        "currency": "PLN",
        "provider_ref": f"psp-{nid}",
        "reason": None if status == "authorized" else "card declined",
    }
    with ordo.http("payment") as api:
        assert api.post("/webhooks/payments", json=body).status_code == 202


def open_ticket(ordo: Ordo, order_id: str, reason: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        with ordo.http("ticketing") as api:
            tickets = api.get("/tickets", params={"status": "open"}).json()
        return next(
            (t for t in tickets if t["order_id"] == order_id and t["reason"] == reason), None
        )

    return eventually(probe, 60, f"an open {reason} ticket for {order_id}")


def resolve(ordo: Ordo, ticket_id: str, correction: dict[str, Any]) -> None:
    body = {
        "resolved_by": "ola.operator",
        "resolution": "fixed with the customer",
        "correction": correction,
    }
    with ordo.http("ticketing") as api:
        response = api.post(f"/tickets/{ticket_id}/resolve", json=body)
    assert response.status_code == 202, response.text


def test_happy_path_reaches_fulfillment_and_the_customer_is_told(ordo: Ordo) -> None:
    set_stock(ordo, "HAPPY-1", 10)
    order = sample_order(
        external_id="happy-1",
        customer={
            "name": "Anna Nowak",
            "email": "anna.happy@example.com",
            "phone": "+48 601 234 567",
        },
        lines=[{"sku": "HAPPY-1", "quantity": 2, "unit_price": "49.90"}],
    )
    facts: dict[str, Any] = {"validated": True, "reserved": True, "payment": "cash_on_delivery"}
    state = wait_for_status(ordo, submit(ordo, order), "ready_for_fulfillment", **facts)
    types = [entry["type"] for entry in state["timeline"]]
    assert types.count("OrderReadyForFulfillment") == 1
    assert {"OrderReceived", "OrderValidated", "StockReserved", "CashOnDeliveryAccepted"} <= set(
        types
    )
    mails = eventually(
        lambda: (
            [m for m in ordo.stack.mailbox.messages() if "anna.happy@example.com" in m.recipients]
            or None
        ),
        30,
        "mail to the customer",
    )
    assert mails
    with ordo.http("inventory") as api:
        assert api.get("/stock/HAPPY-1").json()["available"] == 8


def test_a_missing_phone_opens_a_ticket_and_a_correction_completes_the_order(ordo: Ordo) -> None:
    set_stock(ordo, "PHONE-1", 10)
    order = sample_order(
        external_id="no-phone-1",
        customer={"name": "Piotr Zieliński", "email": "piotr@example.com"},
        lines=[{"sku": "PHONE-1", "quantity": 1, "unit_price": "10.00"}],
    )
    order_id = submit(ordo, order)
    ticket = open_ticket(ordo, order_id, "validation_failed")
    assert "phone" in ticket["instructions"].lower()
    wait_for_status(ordo, order_id, "needs_attention", validated=False)
    resolve(ordo, ticket["ticket_id"], {"phone": "+48 512 345 678"})
    state = wait_for_status(ordo, order_id, "ready_for_fulfillment", events={"OrderCorrected"})
    assert state["order"]["customer"]["phone"] == "+48 512 345 678"
    assert [e["type"] for e in state["timeline"]].count("OrderCorrected") == 1


def test_out_of_stock_opens_a_ticket_and_restocking_then_retrying_completes(ordo: Ordo) -> None:
    set_stock(ordo, "RARE-1", 0)
    order = sample_order(
        external_id="rare-1", lines=[{"sku": "RARE-1", "quantity": 2, "unit_price": "99.00"}]
    )
    order_id = submit(ordo, order)
    ticket = open_ticket(ordo, order_id, "out_of_stock")
    assert "RARE-1" in ticket["instructions"]
    set_stock(ordo, "RARE-1", 5)
    resolve(ordo, ticket["ticket_id"], {"retry_stock": True})
    wait_for_status(ordo, order_id, "ready_for_fulfillment")
    with ordo.http("inventory") as api:
        assert api.get("/stock/RARE-1").json() == {
            "sku": "RARE-1",
            "on_hand": 5,
            "reserved": 2,
            "available": 3,
        }


def test_a_declined_payment_opens_a_ticket_and_a_later_payment_completes(ordo: Ordo) -> None:
    set_stock(ordo, "PAY-1", 10)
    order = sample_order(
        external_id="declined-1",
        payment={"method": "prepaid"},
        lines=[{"sku": "PAY-1", "quantity": 1, "unit_price": "120.00"}],
    )
    order_id = submit(ordo, order)
    notify_payment(ordo, order_id, "n-1", "declined", "120.00")
    ticket = open_ticket(ordo, order_id, "payment_declined")
    wait_for_status(ordo, order_id, "needs_attention", payment="failed")
    notify_payment(ordo, order_id, "n-2", "authorized", "120.00")
    resolve(ordo, ticket["ticket_id"], {"note": "customer paid again"})
    wait_for_status(ordo, order_id, "ready_for_fulfillment", payment="authorized")


def test_a_malformed_order_is_refused_with_its_fields_named_and_kept(ordo: Ordo) -> None:
    body = sample_order(external_id="bad-1").model_dump(mode="json")
    body["lines"][0]["quantity"] = 0
    del body["customer"]
    with ordo.http("ingestion") as api:
        response = api.post("/orders", json=body)
        assert response.status_code == 422
        fields = {issue["field"] for issue in response.json()["issues"]}
        assert {"customer", "lines.0.quantity"} <= fields
        stored = eventually(
            lambda: (
                [
                    r
                    for r in api.get("/rejections").json()["rejections"]
                    if r["external_id"] == "bad-1"
                ]
                or None
            ),
            30,
            "the rejection to be listed",
        )
    assert '"quantity":0' in stored[0]["raw"].replace(" ", "")


def test_a_malformed_order_on_kafka_is_kept_ticketed_and_dead_lettered(ordo: Ordo) -> None:
    body = sample_order(external_id="bad-kafka-1").model_dump(mode="json")
    del body["customer"]
    value = json.dumps(body).encode()
    send(ordo.stack.kafka_bootstrap, CHANNEL_ORDERS.name, [(b"bad-kafka-1", value, [])])

    def letter() -> list[tuple[str, bytes]] | None:
        for found, headers in read_raw(ordo.stack.kafka_bootstrap, DEAD_LETTER.name):
            if found == value:
                return headers
        return None

    headers = dict(eventually(letter, 60, "the refusal on the dead-letter topic"))
    assert headers["dlq_kind"] == b"rejected"
    assert b"customer" in headers["dlq_reason"]
    with ordo.http("ingestion") as api:
        kept = eventually(
            lambda: (
                [
                    r
                    for r in api.get("/rejections").json()["rejections"]
                    if r["external_id"] == "bad-kafka-1"
                ]
                or None
            ),
            30,
            "the rejection to be listed",
        )
    ticket = open_ticket(ordo, kept[0]["order_id"], "order_rejected")
    assert ticket["reason"] == "order_rejected"
    with ordo.http("ticketing") as api:  # a business refusal, not a technical failure
        letters = api.get("/deadletters").json()
    assert not [d for d in letters if d["value"] == value.decode()]


def test_redelivered_events_and_resent_orders_change_nothing(ordo: Ordo) -> None:
    set_stock(ordo, "DUP-1", 10)
    order = sample_order(
        external_id="dup-1", lines=[{"sku": "DUP-1", "quantity": 1, "unit_price": "1.00"}]
    )
    order_id = submit(ordo, order)
    wait_for_status(ordo, order_id, "ready_for_fulfillment")

    def settled() -> dict[str, Any] | None:
        # the customer's 'confirmed' notice is the order's last event
        state = order_state(ordo, order_id)
        told = state and [e for e in state["timeline"] if e["type"] == "NotificationSent"]
        return state if told and len(told) == 2 else None

    before = eventually(settled, 30, "the order's last event")
    # The channel re-sends the order, and the broker redelivers OrderReceived (same event id).
    received = next(
        e for e in read_events(ordo.stack.kafka_bootstrap, ORDERS.name) if e.subject == order_id
    )
    seen = {name: consumed(ordo, name) for name in ("ingestion", "validation", "payment")}
    send(
        ordo.stack.kafka_bootstrap,
        CHANNEL_ORDERS.name,
        [(order_id.encode(), order.model_dump_json().encode(), [])],
    )
    send(
        ordo.stack.kafka_bootstrap,
        ORDERS.name,
        [(received.key(), received.value(), received.headers())],
    )
    for name, count in seen.items():
        eventually(
            partial(consumed_past, ordo, name, count), 30, f"{name} to consume the duplicate"
        )
    after = order_state(ordo, order_id)
    assert after is not None
    assert after["timeline"] == before["timeline"]
    with ordo.http("inventory") as api:
        assert api.get("/stock/DUP-1").json()["reserved"] == 1


def consumed(ordo: Ordo, service: str) -> int:
    with ordo.http(service) as api:
        counts: dict[str, int] = api.get("/metrics").json()["consumed"]
    return counts[f"ordo-{service}"]


def consumed_past(ordo: Ordo, service: str, count: int) -> bool:
    return consumed(ordo, service) > count
