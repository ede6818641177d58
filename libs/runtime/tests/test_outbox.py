"""Outbox records survive their compact stored form, whatever their key and headers."""

from __future__ import annotations

import uuid

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_runtime.outbox import OutboxMapper, Outgoing
from ordo_runtime.transcoder import FastJSONTranscoder


def round_trip(record: Outgoing) -> Outgoing:
    mapper = OutboxMapper(transcoder=FastJSONTranscoder())
    back = mapper.to_domain_event(mapper.to_stored_event(record))
    assert isinstance(back, Outgoing)
    return back


def test_an_event_goes_out_as_its_envelope_says() -> None:
    envelope = Envelope(
        data=ev.PaymentFailed(order_id="o-1", reason="declined"),
        source="/ordo/payment",
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )
    record = Outgoing.of(envelope)
    assert record.originator_id == uuid.UUID(envelope.id)
    assert (record.topic, record.kafka_key(), record.kafka_value()) == (
        "ordo.payment",
        b"o-1",
        envelope.value(),
    )
    assert record.kafka_headers() == envelope.headers()
    assert round_trip(record) == record
    stored = record.pack()
    assert Outgoing.kafka_record(stored) == (
        "ordo.payment",
        b"o-1",
        envelope.value(),
        envelope.headers(),
    )


def test_a_key_that_is_not_text_comes_back_byte_for_byte() -> None:
    key = b"\xff\xfe\x00order"  # a channel's binary key, kept whole in a dead letter
    record = Outgoing.record(
        "ordo.deadletter", key, b"\x00not json", [("dlq_reason", b"bad")], uuid.uuid4()
    )
    back = round_trip(record)
    assert back == record
    assert back.kafka_key() == key
    assert Outgoing.kafka_record(record.pack())[1] == key
