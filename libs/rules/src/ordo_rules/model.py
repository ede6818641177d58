"""The shape of a rule file, as pydantic models: what a process, a stage and a rule may say."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ordo_events.order import DeliveryMethod, PaymentMethod

T = TypeVar("T")


def _listed(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


# `market: PL` and `market: [PL, DE]` both mean "one of these".
OneOrMany = Annotated[list[T], BeforeValidator(_listed), Field(min_length=1)]
Mode = Literal["parallel", "sequence"]


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Match(_Doc):
    """Which orders a process is for; a field left out matches anything."""

    channel: OneOrMany[str] | None = None
    market: OneOrMany[str] | None = None


class Condition(Match):
    """When a stage or a rule applies; every field given must match."""

    currency: OneOrMany[str] | None = None
    delivery_method: OneOrMany[DeliveryMethod] | None = None
    payment_method: OneOrMany[PaymentMethod] | None = None
    delivery_country: OneOrMany[str] | None = None
    invoice: bool | None = None  # whether an invoice was requested


class Rule(_Doc):
    check: str
    params: dict[str, Any] = {}
    when: Condition | None = None


class Stage(_Doc):
    """A step of the process. `mode: parallel` runs every rule and reports every issue;
    `mode: sequence` stops at the first rule that finds one."""

    name: str = Field(min_length=1)
    when: Condition | None = None
    mode: Mode = "parallel"
    rules: list[Rule] = Field(min_length=1)


class Process(_Doc):
    """The stages an order of the matching channel and market goes through, in order.
    `mode: parallel` runs every stage; `mode: sequence` stops after the first that fails."""

    name: str | None = None
    match: Match = Match()
    mode: Mode = "parallel"
    stages: list[Stage] = Field(min_length=1)


class RuleSetDoc(_Doc):
    """A whole rule file. Processes are tried in order and the first whose `match` fits the
    order's channel and market applies, so the last must match everything."""

    format: Literal[1] = 1
    name: str = "rules"
    description: str | None = None
    processes: list[Process] = Field(min_length=1)
