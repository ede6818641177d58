"""A sales channel's own webhook on the real stack: a signed Shopify order becomes one Ordo
order, however many times it is delivered."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from pathlib import Path

import pytest

from ordo_events import events as ev
from ordo_events.order import order_id_for
from ordo_events.topics import ORDERS
from tests.integration.conftest import SHOPIFY_WEBHOOK_SECRET, Ordo, eventually
from tests.integration.kafka_tools import read_events

pytestmark = pytest.mark.integration
SAMPLE = Path(__file__).parents[2] / "services/ingestion/tests/samples"


def shopify_webhook(order_id: int, quantity: int = 1) -> bytes:
    """The orders/create body: the sample order unwrapped, under an id beyond 2^53."""
    text = (SAMPLE / "shopify_order_rest_sdk_fixture.json").read_text()
    text = text.replace('"id": 450789469', f'"id": {order_id}', 1)
    order = json.loads(text)["order"]
    order["line_items"][0]["quantity"] = quantity
    return json.dumps(order).encode()


def deliver(ordo: Ordo, body: bytes) -> str:
    digest = hmac.new(SHOPIFY_WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()
    headers = {"X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode()}
    with ordo.http("ingestion", role=None) as api:
        response = api.post("/channels/shopify/orders", content=body, headers=headers)
    assert response.status_code == 202, response.text
    order_id: str = response.json()["order_id"]
    return order_id


def test_a_signed_shopify_webhook_becomes_one_order(ordo: Ordo) -> None:
    shopify_id = 2**60 + random.randrange(2**32)  # beyond 2^53: must stay exact end to end
    body = shopify_webhook(shopify_id)
    order_id = deliver(ordo, body)
    assert order_id == order_id_for("shopify", str(shopify_id))
    with ordo.http("ingestion") as api:
        eventually(
            lambda: api.get(f"/orders/{order_id}/intake").status_code == 200,
            what="ingestion to take the Shopify order",
        )
    assert deliver(ordo, body) == order_id  # delivered again, as Shopify retries do
    # A changed version after the duplicate, on the same key and so the same partition: once
    # its OrderRevised is out, the duplicate before it has been handled too.
    deliver(ordo, shopify_webhook(shopify_id, quantity=2))

    def history() -> list[ev.Event] | None:
        events = [
            e.data for e in read_events(ordo.stack.kafka_bootstrap, ORDERS.name)
            if e.data.order_id == order_id
        ]  # fmt: skip
        return events if any(isinstance(e, ev.OrderRevised) for e in events) else None

    events = eventually(history, what="the revision of the Shopify order")
    assert [type(e).__name__ for e in events] == ["OrderReceived", "OrderRevised"]
    received = events[0]
    assert isinstance(received, ev.OrderReceived)
    assert received.order.external_id == str(shopify_id)
    assert [line.quantity for line in events[1].order.lines] == [2, 1, 1]  # type: ignore[attr-defined]
