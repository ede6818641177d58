"""Given records on ordo.channel.orders -> then OrderReceived or OrderRejected."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder, order_id_for
from ordo_ingestion.app import service
from ordo_ingestion.domain import ChannelOrder, Rejection
from ordo_runtime import RawMessage
from ordo_runtime.processor import dead_letter
from ordo_runtime.testing import Scenario

TOPIC = "ordo.channel.orders"
ORDER_ID = order_id_for("webshop", "W-1")


def payload(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def rejected(events: list[ev.Event]) -> ev.OrderRejected:
    (event,) = events
    assert isinstance(event, ev.OrderRejected)
    return event


def issues(events: list[ev.Event]) -> list[tuple[str, str | None]]:
    return [(issue.code, issue.field) for issue in rejected(events).issues]


def test_a_valid_order_is_received(order_data: dict[str, Any]) -> None:
    expected = CanonicalOrder.model_validate(order_data)
    assert Scenario(service).when_raw(TOPIC, payload(order_data)) == [
        ev.OrderReceived(order_id=ORDER_ID, order=expected)
    ]


def test_prices_keep_the_decimals_the_channel_wrote(order_data: dict[str, Any]) -> None:
    text = payload(order_data).replace(b'"19.99"', b"19.99")  # a JSON number, not a string
    (received,) = Scenario(service).when_raw(TOPIC, text)
    assert isinstance(received, ev.OrderReceived)
    assert received.order.lines[0].unit_price == Decimal("19.99")


def test_the_same_order_sent_again_is_taken_once(order_data: dict[str, Any]) -> None:
    scenario = Scenario(service)
    assert len(scenario.when_raw(TOPIC, payload(order_data))) == 1
    assert scenario.when_raw(TOPIC, payload(order_data)) == []  # re-sent: a new offset
    # Kafka redelivering the first record is skipped before the handler runs
    assert scenario.deliver(TOPIC, payload(order_data), [], offset=0) == []


def test_an_edited_resend_revises_the_one_order(order_data: dict[str, Any]) -> None:
    scenario = Scenario(service)
    scenario.when_raw(TOPIC, payload(order_data))
    order_data["lines"][0]["quantity"] = 5
    (revised,) = scenario.when_raw(TOPIC, payload(order_data))
    assert revised == ev.OrderRevised(
        order_id=ORDER_ID, order=CanonicalOrder.model_validate(order_data)
    )
    kept = scenario.app.get(ChannelOrder, ChannelOrder.create_id(ORDER_ID))
    assert kept is not None
    assert kept.order["lines"][0]["quantity"] == 5  # the latest version stands
    assert scenario.when_raw(TOPIC, payload(order_data)) == []  # that version again: nothing


def test_bad_json_is_rejected_and_kept_whole() -> None:
    scenario = Scenario(service)
    event = rejected(scenario.when_raw(TOPIC, b'{"channel": "webshop", '))
    rejection_id = Rejection.create_id(f"{TOPIC}/0/0")
    assert [(i.code, i.field) for i in event.issues] == [("json.invalid", None)]
    assert (event.channel, event.external_id) == ("unknown", None)
    assert event.order_id == str(rejection_id)  # no readable reference: its own subject
    assert event.raw == '{"channel": "webshop", '
    stored = scenario.app.get(Rejection, rejection_id)
    assert stored is not None
    assert stored.raw == event.raw
    # On Kafka the refusal is a record on the dead-letter topic too, the payload whole.
    (letter,) = scenario.dead_letters
    assert letter.kafka_value() == b'{"channel": "webshop", '
    assert letter.headers["dlq_kind"] == "rejected"
    assert letter.headers["dlq_reason"].startswith("rejected: json.invalid: ")
    assert letter.headers["dlq_origin"] == f"{TOPIC}/0/0"
    scenario.deliver(TOPIC, b'{"channel": "webshop", ', [], offset=0)  # redelivered
    assert len(scenario.dead_letters) == 1


def test_a_refusals_dead_letter_is_named_as_the_runtime_names_the_service() -> None:
    """The letter's source and id are the ones the processor gives its own letters for this
    service: a renamed service cannot leave them behind under its old name."""
    scenario = Scenario(service)
    scenario.when_raw(TOPIC, b"not json")
    (letter,) = scenario.dead_letters
    record = RawMessage(TOPIC, 0, 0, None, b"not json", [])
    own = dead_letter(record, "any reason", service.source, service.group)
    assert (letter.originator_id, letter.key) == (own.originator_id, own.key)
    assert letter.headers["dlq_service"] == service.source


@pytest.mark.parametrize(
    ("value", "code"),
    [(b"[1, 2]", "json.not_object"), (b"", "json.invalid"), (b"\xff\xfe{", "json.invalid")],
)
def test_a_payload_that_is_no_json_object_is_rejected(value: bytes, code: str) -> None:
    assert issues(Scenario(service).when_raw(TOPIC, value)) == [(code, None)]


def test_bytes_that_are_not_utf8_stay_visible_in_the_kept_copy() -> None:
    assert rejected(Scenario(service).when_raw(TOPIC, b"\xff{")).raw == "\\xff{"


def test_missing_fields_are_named(order_data: dict[str, Any]) -> None:
    del order_data["payment"]
    del order_data["lines"][0]["quantity"]
    events = Scenario(service).when_raw(TOPIC, payload(order_data))
    assert issues(events) == [("field.missing", "payment"), ("field.missing", "lines.0.quantity")]
    event = rejected(events)
    # the channel reference was readable, so the rejection is on the order's own id
    assert (event.order_id, event.channel, event.external_id) == (ORDER_ID, "webshop", "W-1")
    assert json.loads(event.raw) == order_data


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("lines", 0, "quantity"), "two", "lines.0.quantity"),
        (("lines", 0, "quantity"), 0, "lines.0.quantity"),
        (("lines", 0, "unit_price"), "abc", "lines.0.unit_price"),
        (("delivery", "method"), "drone", "delivery.method"),
        (("customer", "email"), 42, "customer.email"),
        (("lines",), [], "lines"),
    ],
)
def test_wrong_values_are_named(
    order_data: dict[str, Any], path: tuple[str | int, ...], value: object, field: str
) -> None:
    target: Any = order_data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    events = Scenario(service).when_raw(TOPIC, payload(order_data))
    assert issues(events) == [("field.invalid", field)]
    assert field in rejected(events).issues[0].message


def test_unknown_fields_are_named(order_data: dict[str, Any]) -> None:
    order_data["coupon"] = "XMAS"
    order_data["customer"]["emial"] = "typo@example.com"
    events = Scenario(service).when_raw(TOPIC, payload(order_data))
    assert issues(events) == [("field.unknown", "customer.emial"), ("field.unknown", "coupon")]


def test_an_unreadable_channel_reference_leaves_the_rejection_its_own_subject(
    order_data: dict[str, Any],
) -> None:
    order_data["external_id"] = 1001  # a number: not a reference that can be read
    event = rejected(Scenario(service).when_raw(TOPIC, payload(order_data)))
    assert (event.channel, event.external_id) == ("webshop", None)
    assert event.order_id == str(Rejection.create_id(f"{TOPIC}/0/0"))


def test_a_valid_resend_after_a_rejection_is_received_on_the_same_id(
    order_data: dict[str, Any],
) -> None:
    scenario = Scenario(service)
    broken = {**order_data, "payment": {"method": "barter"}}
    assert rejected(scenario.when_raw(TOPIC, payload(broken))).order_id == ORDER_ID
    (received,) = scenario.when_raw(TOPIC, payload(order_data))
    assert isinstance(received, ev.OrderReceived)
    assert received.order_id == ORDER_ID


def test_a_bad_resend_of_an_accepted_order_does_not_reject_that_order(
    order_data: dict[str, Any],
) -> None:
    scenario = Scenario(service)
    scenario.when_raw(TOPIC, payload(order_data))
    del order_data["customer"]
    event = rejected(scenario.when_raw(TOPIC, payload(order_data)))
    assert event.order_id == str(Rejection.create_id(f"{TOPIC}/0/1"))
    assert event.order_id != ORDER_ID
