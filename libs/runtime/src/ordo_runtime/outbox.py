"""Outbox records: Kafka records stored in the service's event store until the relay sends them.

They are stored with the aggregates' events and the consumer's position, in one transaction,
as ordinary stored events of their own topic. Their id is the CloudEvent id, so storing the
same outgoing event twice is refused by the database: that is how duplicates are caught.
The mapper writes them in a compact form of their own (a JSON line, then the value's bytes)
instead of the generic transcoder's: a record is written and read once per event per hop,
and the generic path (dataclass to tagged JSON, value in base64) cost ~90 us a record.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from ordo_events.envelope import Envelope
from ordo_events.events import Event
from ordo_events.topics import topic_for


@dataclass(frozen=True, kw_only=True)
class Outgoing(DomainEvent):
    """A Kafka record waiting in the outbox."""

    topic: str
    key: str
    value: bytes  # any bytes survive: dead letters keep the original payload
    headers: dict[str, str]

    @classmethod
    def of(cls, envelope: Envelope, record_id: uuid.UUID | None = None) -> Outgoing:
        """The record for an event; `record_id` is the envelope's id, when the caller has it
        as a UUID already."""
        return cls(
            originator_id=uuid.UUID(envelope.id) if record_id is None else record_id,
            originator_version=1,
            timestamp=DomainEvent.create_timestamp(),
            topic=topic_for(type(envelope.data)).name,
            key=envelope.subject,
            value=envelope.value(),
            headers=dict(envelope.header_items()),
        )

    @classmethod
    def record(
        cls,
        topic: str,
        key: bytes,
        value: bytes,
        headers: Sequence[tuple[str, bytes]],
        record_id: uuid.UUID,
    ) -> Outgoing:
        return cls(
            originator_id=record_id,
            originator_version=1,
            timestamp=DomainEvent.create_timestamp(),
            topic=topic,
            key=key.decode("utf-8", "surrogateescape"),  # a channel's key may not be text
            value=value,
            headers={k: v.decode("utf-8", "replace") for k, v in headers},
        )

    def kafka_key(self) -> bytes:
        return _key_bytes(self.key)

    def kafka_value(self) -> bytes:
        return self.value

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        return _header_bytes(self.headers)

    def pack(self) -> bytes:
        line = [self.topic, self.key, self.headers, self.timestamp.isoformat()]
        try:
            return orjson.dumps(line) + b"\n" + self.value
        except TypeError:  # a key that is not text (surrogate escapes): json can write it
            return json.dumps(line, separators=(",", ":")).encode() + b"\n" + self.value

    @staticmethod
    def kafka_record(state: bytes) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
        """Topic, key, value and headers straight from a packed record, for the relay."""
        topic, key, headers, _, value = _split(state)
        return topic, _key_bytes(key), value, _header_bytes(headers)

    @classmethod
    def unpack(cls, record_id: uuid.UUID, state: bytes) -> Outgoing:
        topic, key, headers, timestamp, value = _split(state)
        return cls(
            originator_id=record_id,
            originator_version=1,
            timestamp=datetime.fromisoformat(timestamp),
            topic=topic,
            key=key,
            value=value,
            headers=headers,
        )


def outgoing(
    events: Sequence[Event], source: str, traceparent: str | None, ids: Sequence[uuid.UUID]
) -> list[Outgoing]:
    """The outbox records of the events one step returned: each with its id (in order), all
    caused by `traceparent`."""
    return [
        Outgoing.of(Envelope(data=event, source=source, id=str(i), traceparent=traceparent), i)
        for event, i in zip(events, ids, strict=True)
    ]


def _key_bytes(key: str) -> bytes:
    return key.encode("utf-8", "surrogateescape")  # a channel's key may not be text


def _header_bytes(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in headers.items()]


def _split(state: bytes) -> tuple[str, str, dict[str, str], str, bytes]:
    """A packed record's topic, key, headers, timestamp and value."""
    line, _, value = state.partition(b"\n")  # JSON escapes newlines: the first one ends it
    try:
        topic, key, headers, timestamp = orjson.loads(line)
    except orjson.JSONDecodeError:  # written by json.dumps in `pack`: surrogate escapes
        topic, key, headers, timestamp = json.loads(line)
    return topic, key, headers, timestamp, value


OUTGOING_TOPIC = get_topic(Outgoing)


class OutboxMapper(Mapper[uuid.UUID]):
    """The library's mapper, with a fast path for outbox records (no cipher or compressor is
    configured for Ordo's stores; were one added, outbox records would bypass it)."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        if type(domain_event) is Outgoing:
            return StoredEvent(
                originator_id=domain_event.originator_id,
                originator_version=1,
                topic=OUTGOING_TOPIC,
                state=domain_event.pack(),
            )
        return super().to_stored_event(domain_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        if stored_event.topic == OUTGOING_TOPIC:
            return Outgoing.unpack(uuid.UUID(str(stored_event.originator_id)), stored_event.state)
        return super().to_domain_event(stored_event)


MAPPER_TOPIC = get_topic(OutboxMapper)
