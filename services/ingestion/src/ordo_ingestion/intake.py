"""Reading a channel's payload: either a CanonicalOrder or the reasons it is not one.

Pure functions, shared by the Kafka and HTTP intakes, so both judge a payload the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder, order_id_for

UNKNOWN_CHANNEL = "unknown"
_SCALARS = (str, int, float, Decimal, bool, type(None))


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
        if self.malformed:
            return self.issues[0].message
        fields = ", ".join(dict.fromkeys(i.field or "(order)" for i in self.issues))
        return f"The order does not match Ordo's canonical order; check: {fields}."


def read_order(value: bytes | None) -> CanonicalOrder | Refusal:
    raw = text_of(value)
    try:
        # Decimal keeps prices exactly as the channel wrote them.
        data = json.loads(value or b"", parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        return Refusal(raw, [Issue(code="json.invalid", message=f"The body is not JSON: {exc}.")])
    if not isinstance(data, dict):
        kind = type(data).__name__
        message = f"The body is JSON but a {kind}, not an object holding one order."
        return Refusal(raw, [Issue(code="json.not_object", message=message)])
    try:
        return CanonicalOrder.model_validate(data)
    except ValidationError as exc:
        return Refusal(
            raw,
            issues_from(exc),
            channel=_readable(data.get("channel"), 64),
            external_id=_readable(data.get("external_id"), 128),
        )


def text_of(value: bytes | None) -> str:
    # backslashreplace rather than replace: bytes that are not UTF-8 stay visible in the copy.
    return (value or b"").decode("utf-8", "backslashreplace")


def issues_from(exc: ValidationError) -> list[Issue]:
    return [_issue(error) for error in exc.errors(include_url=False)]


def _issue(error: Any) -> Issue:
    field = ".".join(str(part) for part in error["loc"]) or None
    kind = error["type"]
    if kind == "missing":
        return Issue(code="field.missing", field=field, message=f"{field} is required.")
    if kind == "extra_forbidden":
        message = f"{field} is not a field of Ordo's canonical order."
        return Issue(code="field.unknown", field=field, message=message)
    message = f"{field}: {error['msg']}"
    value = error.get("input")
    if isinstance(value, _SCALARS):
        message += f" (got {_short(value)})"
    return Issue(code="field.invalid", field=field, message=message + ".")


def _readable(value: object, max_length: int) -> str | None:
    if isinstance(value, str) and value.strip() and len(value) <= max_length:
        return value
    return None


def _short(value: object) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
