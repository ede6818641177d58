"""Given stock -> when the warehouse's feed sends a count or an adjustment -> then on hand is
set or changed, reservations stay, and a message that cannot be applied is dead-lettered."""

from __future__ import annotations

import json

import pytest

from ordo_events import events as ev
from ordo_events.topics import STOCK_SYNC
from ordo_inventory.app import service
from ordo_runtime.testing import Scenario
from services.inventory.tests.support import order_of, stock, stocked, validated


def feed(scenario: Scenario, **message: object) -> list[ev.Event]:
    return scenario.when_raw(STOCK_SYNC.name, json.dumps(message).encode())


def reason(scenario: Scenario) -> str:
    (letter,) = scenario.dead_letters
    return dict(letter.kafka_headers())["dlq_reason"].decode()


def test_a_count_sets_on_hand_in_its_warehouse_and_keeps_reservations() -> None:
    scenario = stocked(A=5)
    scenario.when(validated(order_of("1", ("A", 2))))
    assert feed(scenario, sku="A", warehouse="main", on_hand=7) == []
    assert feed(scenario, sku="A", warehouse="north", on_hand=3) == []
    counted = stock(scenario, "A")
    assert counted.on_hand == {"main": 7, "north": 3}
    assert (counted.reserved["main"], counted.available("main")) == (2, 5)


def test_a_count_of_an_unknown_sku_registers_it() -> None:
    scenario = Scenario(service)
    feed(scenario, sku="NEW", on_hand=4)
    assert stock(scenario, "NEW").available("main") == 4


def test_an_adjustment_changes_on_hand_by_its_amount() -> None:
    scenario = stocked(A=5)
    feed(scenario, sku="A", adjust=-2)
    feed(scenario, sku="A", adjust=3)
    assert stock(scenario, "A").on_hand == {"main": 6}


def test_a_count_below_what_is_reserved_never_makes_stock_negative(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scenario = stocked(A=5)
    scenario.when(validated(order_of("1", ("A", 4))))
    feed(scenario, sku="A", on_hand=1)
    counted = stock(scenario, "A")
    assert (counted.available("main"), counted.shortfall("main"), counted.reserved["main"]) == (
        0,
        3,
        4,
    )
    assert "3 units below what orders hold" in caplog.text


@pytest.mark.parametrize(
    ("message", "why"),
    [
        ({"sku": "A", "adjust": -9}, "would leave -4 on hand"),
        ({"sku": "A"}, "exactly one of on_hand"),
        ({"sku": "A", "on_hand": 1, "adjust": 1}, "exactly one of on_hand"),
        ({"sku": "A", "on_hand": -1}, "on_hand: Input should be greater than or equal to 0"),
        ({"on_hand": 1}, "sku: Field required"),
    ],
)
def test_a_message_that_cannot_be_applied_is_dead_lettered_with_its_reason(
    message: dict[str, object], why: str
) -> None:
    scenario = stocked(A=5)
    assert feed(scenario, **message) == []
    assert why in reason(scenario)
    assert stock(scenario, "A").on_hand == {"main": 5}


def test_a_message_that_is_not_json_is_dead_lettered() -> None:
    scenario = stocked(A=5)
    scenario.when_raw(STOCK_SYNC.name, b"A;5")
    assert "stock sync" in reason(scenario)
