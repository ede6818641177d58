"""Channel intake: webhooks and signatures, idempotency and revisions, skips."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ordo_events import events as ev
from ordo_events.order import order_id_for
from ordo_ingestion.app import service
from ordo_ingestion.domain import ChannelOrder, Skip
from ordo_ingestion.queries import recent_skips
from ordo_ingestion.webhooks import webhook_settings
from ordo_runtime.testing import Scenario
from services.ingestion.tests.support import FakeRuntime, parsed, sample

SHOPIFY = "ordo.channel.shopify.orders"
ALLEGRO = "ordo.channel.allegro.orders"
SHOPIFY_ID = order_id_for("shopify", "450789469")
ALLEGRO_ID = order_id_for("allegro", "29738e61-7f6a-11e8-ac45-09db60ede9d6")


def signed(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def body(data: dict[str, Any]) -> bytes:
    return json.dumps(data, default=str).encode()


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ORDO_SHOPIFY_WEBHOOK_SECRET", "s3cret")
    monkeypatch.setenv("ORDO_WOOCOMMERCE_WEBHOOK_SECRET", "w00")
    webhook_settings.cache_clear()
    yield
    webhook_settings.cache_clear()


# --- webhooks ----------------------------------------------------------------------------
async def test_a_signed_shopify_webhook_is_queued_on_the_shopify_topic(
    client: httpx.AsyncClient, runtime: FakeRuntime, secrets: None
) -> None:
    raw = sample("shopify_order_rest_sdk_fixture.json")
    headers = {"X-Shopify-Hmac-Sha256": signed(raw, "s3cret")}
    response = await client.post("/channels/shopify/orders", content=raw, headers=headers)
    assert response.status_code == 202
    assert response.json()["order_id"] == SHOPIFY_ID
    assert [w["code"] for w in response.json()["warnings"]] == ["totals.mismatch"]
    assert runtime.producer.sent == [(SHOPIFY, SHOPIFY_ID.encode(), raw)]
    (received,) = runtime.scenario.when_raw(SHOPIFY, raw, SHOPIFY_ID.encode())
    assert isinstance(received, ev.OrderReceived)


@pytest.mark.parametrize(
    ("channel", "header", "value", "code"),
    [
        ("shopify", "X-Shopify-Hmac-Sha256", None, "signature.missing"),
        ("shopify", "X-Shopify-Hmac-Sha256", "bm9wZQ==", "signature.invalid"),
        ("woocommerce", "X-WC-Webhook-Signature", None, "signature.missing"),
        ("woocommerce", "X-WC-Webhook-Signature", signed(b"other", "w00"), "signature.invalid"),
    ],
)
async def test_a_missing_or_wrong_signature_is_a_401_and_is_kept(
    client: httpx.AsyncClient,
    runtime: FakeRuntime,
    secrets: None,
    channel: str,
    header: str,
    value: str | None,
    code: str,
) -> None:
    raw = sample("woocommerce_order_v3_retrieve.json")
    headers = {header: value} if value else {}
    response = await client.post(f"/channels/{channel}/orders", content=raw, headers=headers)
    assert response.status_code == 401
    assert [i["code"] for i in response.json()["issues"]] == [code]
    assert runtime.producer.sent == []
    page = (await client.get("/rejections", params={"channel": channel})).json()
    assert [r["rejection_id"] for r in page["rejections"]] == [response.json()["rejection_id"]]
    assert page["rejections"][0]["raw"] == raw.decode()


async def test_a_signed_woocommerce_webhook_is_taken(
    client: httpx.AsyncClient, runtime: FakeRuntime, secrets: None
) -> None:
    raw = sample("woocommerce_order_v3_retrieve.json")
    headers = {"X-WC-Webhook-Signature": signed(raw, "w00")}
    response = await client.post("/channels/woocommerce/orders", content=raw, headers=headers)
    assert response.status_code == 202
    assert response.json()["order_id"] == order_id_for("woocommerce", "727")


async def test_without_a_configured_secret_no_signature_is_asked(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    raw = sample("shopify_order_rest_sdk_fixture.json")
    assert (await client.post("/channels/shopify/orders", content=raw)).status_code == 202


async def test_an_unknown_channel_is_a_404_naming_it_and_is_kept(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    response = await client.post("/channels/ebay/orders", content=b'{"id": 1}')
    assert response.status_code == 404
    assert "'ebay'" in response.json()["error"]
    assert [i["code"] for i in response.json()["issues"]] == ["channel.unknown"]
    kept = (await client.get(f"/rejections/{response.json()['rejection_id']}")).json()
    assert kept["raw"] == '{"id": 1}'


async def test_a_channel_order_missing_fields_is_a_422_naming_the_channel_fields(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    data = parsed("shopify_order_rest_sdk_fixture.json")["order"]
    del data["currency"]
    data["line_items"][1]["price"] = "free"
    response = await client.post("/channels/shopify/orders", content=body(data))
    assert response.status_code == 422
    fields = [(i["code"], i["field"]) for i in response.json()["issues"]]
    assert fields == [("field.invalid", "line_items.1.price"), ("field.missing", "currency")]
    assert "shopify" in response.json()["error"]
    (rejected,) = runtime.published
    assert isinstance(rejected, ev.OrderRejected)
    # The reference was readable: the rejection is on the order's id (a ticket can name it),
    # and the corrected re-send is taken on that same id.
    assert (rejected.order_id, rejected.external_id) == (SHOPIFY_ID, "450789469")
    fixed = sample("shopify_order_rest_sdk_fixture.json")
    assert (await client.post("/channels/shopify/orders", content=fixed)).status_code == 202
    (received,) = runtime.scenario.when_raw(SHOPIFY, fixed)
    assert isinstance(received, ev.OrderReceived)
    assert received.order_id == SHOPIFY_ID


async def test_rejections_page_with_before_and_filter_by_channel(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    for n in range(3):
        await client.post("/channels/magento/orders", content=f"bad {n}".encode())
    await client.post("/channels/shopify/orders", content=b"[]")
    first = (await client.get("/rejections", params={"limit": 2, "channel": "magento"})).json()
    assert [r["raw"] for r in first["rejections"]] == ["bad 2", "bad 1"]
    params = {"limit": 2, "channel": "magento", "before": first["next_before"]}
    second = (await client.get("/rejections", params=params)).json()
    assert [r["raw"] for r in second["rejections"]] == ["bad 0"]
    assert second["next_before"] is None
    everything = (await client.get("/rejections")).json()["rejections"]
    assert [r["channel"] for r in everything] == ["shopify", "magento", "magento", "magento"]


# --- idempotency and revisions -------------------------------------------------------------
def test_the_same_shopify_order_twice_is_one_order() -> None:
    scenario = Scenario(service)
    raw = sample("shopify_order_rest_sdk_fixture.json")
    assert len(scenario.when_raw(SHOPIFY, raw)) == 1
    assert scenario.when_raw(SHOPIFY, raw) == []


def test_a_later_shopify_version_revises_the_order_and_an_older_one_is_ignored() -> None:
    scenario = Scenario(service)
    data = parsed("shopify_order_rest_sdk_fixture.json")
    scenario.when_raw(SHOPIFY, body(data))
    newer = json.loads(body(data))
    newer["order"]["line_items"][0]["quantity"] = 3
    newer["order"]["updated_at"] = "2008-01-11T09:00:00-05:00"
    (revised,) = scenario.when_raw(SHOPIFY, body(newer))
    assert isinstance(revised, ev.OrderRevised)
    assert revised.order_id == SHOPIFY_ID
    assert revised.order.lines[0].quantity == 3
    older = json.loads(body(data))
    older["order"]["line_items"][0]["quantity"] = 7  # changed, but dated before the revision
    assert scenario.when_raw(SHOPIFY, body(older)) == []
    kept = scenario.app.get(ChannelOrder, ChannelOrder.create_id(SHOPIFY_ID))
    assert kept is not None
    assert kept.order["lines"][0]["quantity"] == 3


def test_allegro_dedupes_on_revision_and_takes_a_new_one() -> None:
    scenario = Scenario(service)
    data = parsed("allegro_checkout_form_example.json")
    assert len(scenario.when_raw(ALLEGRO, body(data))) == 1
    data["messageToSeller"] = "changed, same revision"
    assert scenario.when_raw(ALLEGRO, body(data)) == []
    data["revision"] = "9a0c1e2f"
    data["lineItems"][0]["quantity"] = 2
    (revised,) = scenario.when_raw(ALLEGRO, body(data))
    assert isinstance(revised, ev.OrderRevised)
    assert (revised.revision, revised.order.lines[0].quantity) == ("9a0c1e2f", 2)


@pytest.mark.parametrize("status", ["BOUGHT", "FILLED_IN", "CANCELLED"])
def test_allegro_before_ready_for_processing_is_recorded_as_skipped(status: str) -> None:
    scenario = Scenario(service)
    data = parsed("allegro_checkout_form_example.json")
    data["status"] = status
    assert scenario.when_raw(ALLEGRO, body(data)) == []
    kept = scenario.app.get(Skip, Skip.create_id(f"{ALLEGRO}/0/0"))
    assert kept is not None
    assert (kept.external_id, kept.status, kept.revision) == (data["id"], status, "819b5836")
    assert scenario.app.get(ChannelOrder, ChannelOrder.create_id(ALLEGRO_ID)) is None
    data["status"] = "READY_FOR_PROCESSING"  # paid now: the order is taken
    (received,) = scenario.when_raw(ALLEGRO, body(data))
    assert isinstance(received, ev.OrderReceived)


async def test_an_allegro_skip_over_http_is_a_200_saying_so(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    data = parsed("allegro_checkout_form_example.json")
    data["status"] = "BOUGHT"
    response = await client.post("/channels/allegro/orders", content=body(data))
    assert response.status_code == 200
    assert response.json()["status"] == "skipped"
    assert "BOUGHT" in response.json()["reason"]


def test_skipped_forms_are_listed_newest_first_a_page_at_a_time() -> None:
    scenario = Scenario(service)
    data = parsed("allegro_checkout_form_example.json")
    for status in ("BOUGHT", "FILLED_IN", "CANCELLED"):
        data["status"] = status
        scenario.when_raw(ALLEGRO, body(data))
    data["status"] = "READY_FOR_PROCESSING"
    scenario.when_raw(ALLEGRO, body(data))  # taken: an order, not a skip

    first = recent_skips(scenario.app, limit=2)
    assert [s.status for s in first.skips] == ["CANCELLED", "FILLED_IN"]
    assert {(s.channel, s.external_id) for s in first.skips} == {("allegro", data["id"])}
    assert first.next_before is not None
    rest = recent_skips(scenario.app, limit=2, before=first.next_before)
    assert [s.status for s in rest.skips] == ["BOUGHT"]
    assert rest.next_before is None
    assert recent_skips(scenario.app, limit=10, channel="shopify").skips == []
