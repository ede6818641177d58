"""What every channel adapter needs: reading a native payload field by field with its path
named in every issue, and normalising phones, countries, tax ids and money."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder

# Larger amounts are not prices but garbage, and would overflow Decimal arithmetic later.
MAX_MONEY = Decimal(10) ** 12
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Adapted:
    """A channel order in Ordo's terms, with what the channel lacked or got wrong (warnings
    never stop an order; the validation service decides on them)."""

    order: CanonicalOrder
    warnings: list[Issue] = field(default_factory=list)
    revision: str | None = None  # the channel's version of the order, where it has one
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Skipped:
    """An order the channel sent in a state Ordo does not take (Allegro before payment)."""

    external_id: str
    status: str
    revision: str | None = None


@dataclass(frozen=True)
class Unusable:
    """The payload is not an order Ordo can take; `external_id` if it could still be read."""

    issues: list[Issue]
    external_id: str | None = None


Outcome = Adapted | Skipped | Unusable


def dotted(path: Path) -> str:
    return ".".join(str(part) for part in path)


class Reader:
    """Reads a channel's JSON (already parsed with exact ints and Decimal floats). A missing
    required field or a value of the wrong type becomes an issue naming the native path."""

    def __init__(self, data: dict[str, Any], channel: str):
        self.data, self.channel = data, channel
        self.issues: list[Issue] = []
        self.warnings: list[Issue] = []

    def get(self, *path: str | int) -> Any:
        node: Any = self.data
        for part in path:
            if isinstance(part, int):
                node = (
                    node[part]
                    if isinstance(node, list) and -len(node) <= part < len(node)
                    else None
                )
            else:
                node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                return None
        return node

    def missing(self, path: Path) -> None:
        where = dotted(path)
        message = f"The {self.channel} order has no {where}."
        self.issues.append(Issue(code="field.missing", field=where, message=message))

    def invalid(self, path: Path, expected: str, value: object) -> None:
        where, shown = dotted(path), repr(value)[:60]
        message = f"{where} should be {expected} (got {shown})."
        self.issues.append(Issue(code="field.invalid", field=where, message=message))

    def warn(self, code: str, path: str, message: str) -> None:
        self.warnings.append(Issue(code=code, field=path, message=message))

    def text(self, *path: str | int, required: bool = False) -> str | None:
        value = self.get(*path)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # ids: Shopify's exceed 2^53, so never through float
        if value is None or value == "":
            if required:
                self.missing(path)
            return None
        self.invalid(path, "a string", value)
        return None

    def money(
        self, *path: str | int, required: bool = False, absolute: bool = False
    ) -> Decimal | None:
        value = self.get(*path)
        if value is None or value == "":
            if required:
                self.missing(path)
            return None
        amount = _decimal(value)
        if absolute and amount is not None and amount.is_finite():
            amount = abs(amount)
        if amount is None or not amount.is_finite() or amount < 0 or amount >= MAX_MONEY:
            self.invalid(path, "an amount of money (a non-negative decimal)", value)
            return None
        return amount

    def quantity(self, *path: str | int) -> int | None:
        value = self.get(*path)
        amount = _decimal(value) if value is not None else None
        if value is None:
            self.missing(path)
        elif amount is None or not amount.is_finite() or amount != amount.to_integral_value():
            self.invalid(path, "a whole number", value)
        elif not 0 < amount < 1_000_000:
            self.invalid(path, "a positive quantity", value)
        else:
            return int(amount)
        return None

    def items(self, *path: str | int) -> list[Any]:
        value = self.get(*path)
        if value is None:
            self.missing(path)
            return []
        if not isinstance(value, list):
            self.invalid(path, "a list", value)
            return []
        if not value:
            self.issues.append(
                Issue(code="field.invalid", field=dotted(path), message=f"{dotted(path)} is empty.")
            )
        return value

    def finish(
        self, canonical: dict[str, Any], revision: str | None = None, updated_at: object = None
    ) -> Outcome:
        """The order, or every issue found; the canonical model has the last word."""
        external_id = canonical.get("external_id")
        if self.issues:
            return Unusable(self.issues, external_id)
        try:
            order = CanonicalOrder.model_validate(_prune(canonical))
        except ValidationError as exc:
            issues = [
                Issue(
                    code="field.invalid",
                    field=dotted(tuple(error["loc"])) or None,
                    message=f"In Ordo's terms, {dotted(tuple(error['loc']))}: {error['msg']}.",
                )
                for error in exc.errors(include_url=False)
            ]
            return Unusable(issues, external_id)
        return Adapted(order, self.warnings, revision=revision, updated_at=_timestamp(updated_at))


def _timestamp(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        return None
    try:
        return Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        return None


def _prune(value: Any) -> Any:
    """Drop None values, so absent optional fields take the model's defaults."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value
