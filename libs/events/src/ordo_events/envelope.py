"""The CloudEvents 1.0 envelope, written in Kafka binary content mode.

The event's data is the Kafka value (JSON); its attributes travel as `ce_*` headers and the
content type as `content-type`, so any Kafka client can route on them without parsing the
value. `ce_schemaversion` is an extension attribute: the data's schema version.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ordo_events.events import EVENT_TYPES, Event

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

Headers = Sequence[tuple[str, bytes]]
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

# (event type, from version) -> function turning that version's data into the next version's.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}
# Old names of renamed event classes, so old records still parse.
TYPE_ALIASES: dict[str, str] = {}


def register_upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    def register(fn: Upcaster) -> Upcaster:
        UPCASTERS[(event_type, from_version)] = fn
        return fn

    return register


class UndecodableMessage(ValueError):
    """A message that is not a valid Ordo event; the runtime dead-letters it with this reason."""


@dataclass(frozen=True)
class Envelope:
    data: Event
    source: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = None
    # The value as it was read, when it is the data's current schema: `value()` returns it
    # instead of encoding the data again (a projection stores every event it reads). Set by
    # `decode` only, and not an init field, so a `replace(envelope, data=...)` drops it.
    raw: bytes | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def type(self) -> str:
        return type(self.data).__name__

    @property
    def subject(self) -> str:
        return self.data.order_id

    @property
    def schema_version(self) -> int:
        return type(self.data).version

    def header_items(self) -> list[tuple[str, str]]:
        """The headers as text, before encoding (the outbox stores them so)."""
        items = [
            ("ce_specversion", SPECVERSION),
            ("ce_id", self.id),
            ("ce_source", self.source),
            ("ce_type", self.type),
            ("ce_time", self.time.isoformat()),
            ("ce_subject", self.subject),
            ("ce_schemaversion", str(self.schema_version)),
            ("content-type", CONTENT_TYPE),
        ]
        if self.traceparent:
            items.append(("traceparent", self.traceparent))
        return items

    def headers(self) -> list[tuple[str, bytes]]:
        return [(k, v.encode()) for k, v in self.header_items()]

    def value(self) -> bytes:
        return self.raw if self.raw is not None else self.data.model_dump_json().encode()

    def key(self) -> bytes:
        return self.subject.encode()


def header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("utf-8", "replace") if value is not None else None
    return None


def event_type_of(headers: Headers) -> str | None:
    """The event type, read from the headers alone, so consumers can skip what they don't handle."""
    name = header(headers, "ce_type")
    return TYPE_ALIASES.get(name, name) if name else None


def decode(value: bytes | None, headers: Headers) -> Envelope:
    # One pass over the headers, then lookups (a scan per attribute cost more than parsing).
    attrs = {k: v.decode("utf-8", "replace") for k, v in headers if v is not None}
    name = attrs.get("ce_type")
    type_name = TYPE_ALIASES.get(name, name) if name else None
    if type_name is None:
        raise UndecodableMessage("missing ce_type header: not a CloudEvent in binary mode")
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        raise UndecodableMessage(f"unknown event type {type_name!r}")
    content_type = attrs.get("content-type")
    if content_type is not None and not content_type.startswith(CONTENT_TYPE):
        raise UndecodableMessage(f"unsupported content-type {content_type!r}")
    event_id, source = attrs.get("ce_id"), attrs.get("ce_source")
    if not event_id or not source:
        raise UndecodableMessage("missing ce_id or ce_source header")
    version = _int(attrs.get("ce_schemaversion"), 1)
    try:
        if version == cls.version:  # the common case: pydantic parses the JSON itself, fast
            event = cls.model_validate_json(value or b"")
        else:
            event = cls.model_validate(upcast(type_name, version, cls.version, _object(value)))
    except ValidationError as exc:
        kind = exc.errors()[0]["type"] if exc.errors() else ""
        if kind == "json_invalid":
            raise UndecodableMessage(f"value is not JSON: {exc.errors()[0]['msg']}") from None
        if kind == "model_type":
            raise UndecodableMessage("value is not a JSON object") from None
        raise UndecodableMessage(f"{type_name} does not match its schema: {exc}") from None
    time_text = attrs.get("ce_time")
    try:
        time = datetime.fromisoformat(time_text) if time_text else datetime.now(UTC)
    except ValueError:
        raise UndecodableMessage(f"ce_time {time_text!r} is not an ISO 8601 time") from None
    envelope = Envelope(
        data=event, source=source, id=event_id, time=time, traceparent=attrs.get("traceparent")
    )
    if version == cls.version:
        object.__setattr__(envelope, "raw", value)  # frozen: set once, here
    return envelope


def upcast(type_name: str, version: int, target: int, data: dict[str, Any]) -> dict[str, Any]:
    while version < target:
        step = UPCASTERS.get((type_name, version))
        if step is None:
            raise UndecodableMessage(f"no upcaster for {type_name} v{version}")
        data, version = step(data), version + 1
    if version > target:
        raise UndecodableMessage(
            f"{type_name} v{version} is newer than this service knows (v{target})"
        )
    return data


def _object(value: bytes | None) -> dict[str, Any]:
    try:
        data = json.loads(value or b"")
    except ValueError as exc:
        raise UndecodableMessage(f"value is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UndecodableMessage("value is not a JSON object")
    return data


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        raise UndecodableMessage(f"ce_schemaversion {text!r} is not a number") from None
