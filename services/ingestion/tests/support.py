"""Test doubles for ingestion's HTTP intake: sends are recorded, commands run in memory."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from ordo_events import events as ev
from ordo_runtime import UnitOfWork
from ordo_runtime.testing import Scenario

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def parsed(name: str) -> dict[str, Any]:
    value = json.loads(sample(name), parse_float=Decimal)
    assert isinstance(value, dict)
    return value


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.failure: Exception | None = None

    async def send_and_wait(
        self, topic: str, value: bytes, key: bytes | None = None, **_: Any
    ) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append((topic, key, value))


class FakeRuntime:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.app = scenario.app
        self.producer = FakeProducer()
        self.published: list[ev.Event] = []

    async def execute(
        self, command: Callable[[UnitOfWork], Sequence[ev.Event]], cause_id: str | None = None
    ) -> list[ev.Event]:
        events = self.scenario.execute(command)
        self.published += events
        return events
