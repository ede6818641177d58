"""Ordo's own canonical JSON: the channel is named in the body, and the schema is strict
(an unknown field is an error here, since the sender writes Ordo's format, not its own)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder
from ordo_ingestion.channels.common import Adapted, Outcome, Unusable

CHANNEL = "canonical"
_SCALARS = (str, int, float, Decimal, bool, type(None))


def adapt(data: dict[str, Any]) -> Outcome:
    try:
        return Adapted(CanonicalOrder.model_validate(data))
    except ValidationError as exc:
        return Unusable(issues_from(exc), readable(data.get("external_id"), 128))


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


def _short(value: object) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def readable(value: object, max_length: int) -> str | None:
    if isinstance(value, str) and value.strip() and len(value) <= max_length:
        return value
    return None
