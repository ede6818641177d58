"""The HTTP intake, on a fake runtime: sends are recorded, commands run in memory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError

from ordo_events import events as ev
from ordo_events.order import order_id_for
from ordo_ingestion import queries
from ordo_ingestion.intake_http import MAX_BODY
from services.ingestion.tests.support import FakeRuntime

TOPIC = "ordo.channel.orders"
ORDER_ID = order_id_for("webshop", "W-1")


def fields(response: httpx.Response) -> list[tuple[str, str | None]]:
    return [(issue["code"], issue["field"]) for issue in response.json()["issues"]]


async def test_a_valid_order_is_queued_and_then_received(
    client: httpx.AsyncClient, runtime: FakeRuntime, order_data: dict[str, Any]
) -> None:
    body = json.dumps(order_data).encode()
    response = await client.post("/orders", content=body)
    assert response.status_code == 202
    assert response.json() == {"order_id": ORDER_ID, "status": "accepted"}
    assert runtime.producer.sent == [(TOPIC, ORDER_ID.encode(), body)]
    assert runtime.published == []  # nothing is decided until the Kafka intake takes it
    assert (await client.get(f"/orders/{ORDER_ID}/intake")).status_code == 404

    (received,) = runtime.scenario.when_raw(TOPIC, body, ORDER_ID.encode())
    assert isinstance(received, ev.OrderReceived)
    assert received.order_id == ORDER_ID
    intake = (await client.get(f"/orders/{ORDER_ID}/intake")).json()
    assert (intake["received"], intake["channel"], intake["external_id"]) == (
        True,
        "webshop",
        "W-1",
    )


async def test_bad_json_is_a_400_and_is_kept(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    response = await client.post("/orders", content=b'{"channel": "webshop",')
    assert response.status_code == 400
    assert fields(response) == [("json.invalid", None)]
    assert "not JSON" in response.json()["error"]
    (rejection,) = runtime.published
    assert isinstance(rejection, ev.OrderRejected)
    assert rejection.raw == '{"channel": "webshop",'
    assert runtime.producer.sent == []
    kept = await client.get(f"/rejections/{response.json()['rejection_id']}")
    assert kept.json()["raw"] == '{"channel": "webshop",'


async def test_a_json_array_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/orders", content=b"[]")
    assert response.status_code == 400
    assert fields(response) == [("json.not_object", None)]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda o: o.pop("customer"), [("field.missing", "customer")]),
        (
            lambda o: o["lines"][0].update(quantity="two"),
            [("field.invalid", "lines.0.quantity")],
        ),
        (lambda o: o.update(coupon="XMAS"), [("field.unknown", "coupon")]),
    ],
)
async def test_an_order_that_breaks_the_schema_is_a_422_naming_the_fields(
    client: httpx.AsyncClient,
    runtime: FakeRuntime,
    order_data: dict[str, Any],
    change: Callable[[dict[str, Any]], object],
    expected: list[tuple[str, str]],
) -> None:
    change(order_data)
    response = await client.post("/orders", json=order_data)
    assert response.status_code == 422
    assert fields(response) == expected
    assert expected[0][1] in response.json()["error"]
    (rejection,) = runtime.published
    assert isinstance(rejection, ev.OrderRejected)
    assert (rejection.order_id, rejection.issues[0].field) == (ORDER_ID, expected[0][1])
    assert runtime.producer.sent == []


async def test_the_same_bad_body_sent_again_is_one_rejection(
    client: httpx.AsyncClient, runtime: FakeRuntime, order_data: dict[str, Any]
) -> None:
    del order_data["lines"]
    first = await client.post("/orders", json=order_data)
    second = await client.post("/orders", json=order_data)
    assert first.status_code == second.status_code == 422
    assert first.json()["rejection_id"] == second.json()["rejection_id"]
    assert len(runtime.published) == 1
    listed = (await client.get("/rejections")).json()["rejections"]
    assert [r["rejection_id"] for r in listed] == [first.json()["rejection_id"]]


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 65536 + 1):
        yield b" " * 65536


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_body_over_one_mebibyte_is_a_413_and_is_kept_cut_short(
    client: httpx.AsyncClient, runtime: FakeRuntime, streamed: bool
) -> None:
    content = _chunks(MAX_BODY) if streamed else b" " * (MAX_BODY + 1)
    response = await client.post("/orders", content=content)
    assert response.status_code == 413
    assert "1 MiB" in response.json()["error"]
    assert fields(response) == [("body.too_large", None)]
    (rejection,) = runtime.published
    assert isinstance(rejection, ev.OrderRejected)
    assert len(rejection.raw) < 5000  # the start of it, not a mebibyte
    assert runtime.producer.sent == []


async def test_kafka_unavailable_is_a_503_saying_to_retry(
    client: httpx.AsyncClient, runtime: FakeRuntime, order_data: dict[str, Any]
) -> None:
    runtime.producer.failure = KafkaConnectionError("no broker")
    response = await client.post("/orders", json=order_data)
    assert response.status_code == 503
    assert response.json()["order_id"] == ORDER_ID
    assert "Kafka is unavailable" in response.json()["error"]


@pytest.mark.parametrize("window", [5000, 1])  # 1: the log is walked back record by record
async def test_rejections_are_listed_newest_first_from_both_intakes(
    client: httpx.AsyncClient,
    runtime: FakeRuntime,
    order_data: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    window: int,
) -> None:
    monkeypatch.setattr(queries, "WINDOW", window)
    runtime.scenario.when_raw(TOPIC, b"not json at all")
    runtime.scenario.when_raw(TOPIC, json.dumps(order_data).encode())  # accepted: not listed
    order_data["external_id"] = "W-2"
    del order_data["payment"]
    posted = await client.post("/orders", json=order_data)

    listed = (await client.get("/rejections")).json()["rejections"]
    assert [r["raw"] for r in listed][1] == "not json at all"
    newest = listed[0]
    assert newest["rejection_id"] == posted.json()["rejection_id"]
    assert (newest["channel"], newest["external_id"]) == ("webshop", "W-2")
    assert newest["order_id"] == order_id_for("webshop", "W-2")
    assert [(i["code"], i["field"]) for i in newest["issues"]] == [("field.missing", "payment")]
    assert json.loads(newest["raw"]) == order_data
    assert newest["received_at"]
    assert len(listed) == 2

    only = (await client.get("/rejections", params={"limit": 1})).json()["rejections"]
    assert [r["rejection_id"] for r in only] == [newest["rejection_id"]]


async def test_an_unknown_rejection_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/rejections/6f1c2a52-3a4e-4c1b-9a0f-0a7d5e0c9b11")
    assert response.status_code == 404
