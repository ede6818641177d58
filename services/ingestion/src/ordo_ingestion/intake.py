"""Reading a channel's payload: an order (or a skip), or the reasons it is not one.

Pure functions, shared by the Kafka and HTTP intakes, so both judge a payload the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder, order_id_for
from ordo_ingestion.channels import ADAPTERS, Adapted, Skipped, Unusable
from ordo_ingestion.channels.canonical import readable

UNKNOWN_CHANNEL = "unknown"


@dataclass(frozen=True)
class Refusal:
    """A payload that is not a canonical order, with whatever could still be read from it."""

    raw: str
    issues: list[Issue]
    channel: str | None = None
    external_id: str | None = None

    @property
    def malformed(self) -> bool:
        """True when the body is not even a JSON object (HTTP answers 400, not 422)."""
        return any(issue.code.startswith("json.") for issue in self.issues)

    @property
    def order_id(self) -> str | None:
        """The order's id if the channel reference is readable, so a later valid re-send of
        the same order lands on the same id as this rejection."""
        if self.channel is None or self.external_id is None:
            return None
        return order_id_for(self.channel, self.external_id)

    def summary(self) -> str:
        if self.malformed or not any(i.code.startswith("field.") for i in self.issues):
            return " ".join(issue.message for issue in self.issues)
        fields = ", ".join(dict.fromkeys(i.field or "(order)" for i in self.issues))
        if self.channel and self.channel in ADAPTERS and self.channel != "canonical":
            return f"The {self.channel} order cannot be taken; check: {fields}."
        return f"The order does not match Ordo's canonical order; check: {fields}."


def read_order(value: bytes | None) -> CanonicalOrder | Refusal:
    """Ordo's canonical JSON (the `ordo.channel.orders` topic and `POST /orders`)."""
    result = read_channel("canonical", value)
    if isinstance(result, Adapted):
        return result.order
    assert isinstance(result, Refusal)  # canonical JSON has no status to skip on
    return result


def read_channel(channel: str, value: bytes | None) -> Adapted | Skipped | Refusal:
    """A channel's own payload through its adapter; `channel` must be in ADAPTERS."""
    raw = text_of(value)
    known = channel if channel != "canonical" else None  # canonical names it in the body
    try:
        # Decimal keeps prices exactly as the channel wrote them; ints stay exact (big ids).
        data = json.loads(value or b"", parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        issue = Issue(code="json.invalid", message=f"The body is not JSON: {exc}.")
        return Refusal(raw, [issue], channel=known)
    if not isinstance(data, dict):
        kind = type(data).__name__
        message = f"The body is JSON but a {kind}, not an object holding one order."
        return Refusal(raw, [Issue(code="json.not_object", message=message)], channel=known)
    try:
        result = ADAPTERS[channel](data)
    except RecursionError:
        message = "The body nests too deeply to be an order."
        return Refusal(raw, [Issue(code="json.too_deep", message=message)], channel=known)
    if isinstance(result, Unusable):
        name = channel if channel != "canonical" else readable(data.get("channel"), 64)
        return Refusal(raw, result.issues, channel=name, external_id=result.external_id)
    return result


def text_of(value: bytes | None) -> str:
    # backslashreplace rather than replace: bytes that are not UTF-8 stay visible in the copy.
    return (value or b"").decode("utf-8", "backslashreplace")
