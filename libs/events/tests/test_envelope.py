"""The CloudEvents envelope in Kafka binary mode: what goes out comes back, and a bad record
is refused with its reason."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.envelope import UPCASTERS, Envelope, UndecodableMessage, decode


def test_an_event_comes_back_as_it_was_sent() -> None:
    sent = Envelope(
        data=ev.PaymentFailed(order_id="o-1", reason="declined"),
        source="/ordo/payment",
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )
    back = decode(sent.value(), sent.headers())
    assert back == sent
    assert dict(back.headers())["ce_type"] == b"PaymentFailed"


def test_a_decoded_event_goes_on_with_the_bytes_it_came_in() -> None:
    # Not re-encoded: a projection stores every event it reads as it was written.
    value = b'{"order_id": "o-1",  "reason": "declined"}'
    headers = Envelope(data=ev.PaymentFailed(order_id="o-1", reason="x"), source="/s").headers()
    decoded = decode(value, headers)
    assert decoded.value() == value
    changed = replace(decoded, data=ev.PaymentFailed(order_id="o-1", reason="expired"))
    assert changed.value() == changed.data.model_dump_json().encode()


def test_an_older_schema_is_upcast_and_written_in_the_current_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ev.PaymentFailed, "version", 2)

    def add_reason(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "reason": data.pop("why")}

    monkeypatch.setitem(UPCASTERS, ("PaymentFailed", 1), add_reason)
    headers = [
        (k, b"1" if k == "ce_schemaversion" else v)
        for k, v in Envelope(data=ev.PaymentFailed(order_id="o", reason="x"), source="/s").headers()
    ]
    back = decode(b'{"order_id": "o", "why": "declined"}', headers)
    assert back.data == ev.PaymentFailed(order_id="o", reason="declined")
    assert back.value() == back.data.model_dump_json().encode()


@pytest.mark.parametrize(
    ("value", "reason"),
    [(b"not json", "not JSON"), (b"[1]", "not a JSON object"), (b"{}", "does not match")],
)
def test_a_bad_value_is_refused_with_its_reason(value: bytes, reason: str) -> None:
    headers = Envelope(data=ev.PaymentFailed(order_id="o", reason="x"), source="/s").headers()
    with pytest.raises(UndecodableMessage, match=reason):
        decode(value, headers)
