"""A count is what was on the shelf when it was taken. Given a reservation -> when a count and
its shipment's departure arrive, in either order -> then on hand is what the count found,
less only what left after it was taken: never the same units twice, never none."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from ordo_events import events as ev
from ordo_events.topics import STOCK_SYNC
from ordo_inventory.app import service
from ordo_inventory.domain import DEPARTURES_KEPT, StaleCountError
from ordo_inventory.handlers import set_stock_level
from ordo_runtime.testing import Scenario
from services.inventory.tests.support import line, order_of, stock, validated

ORDER = order_of("count-1", ("A", 3))
OID = ORDER.order_id
OPENING = datetime(2025, 1, 1, 8, tzinfo=UTC)  # the count the day starts from: 10 on hand
LEFT_AT = datetime(2025, 1, 1, 11, tzinfo=UTC)  # the order's 3 units leave the warehouse


def reserved() -> Scenario:
    scenario = Scenario(service)
    scenario.execute(set_stock_level("A", 10, at=OPENING))
    scenario.when(validated(ORDER))
    return scenario


def departure(at: datetime | None = LEFT_AT) -> ev.ShipmentStatusChanged:
    return ev.ShipmentStatusChanged(
        order_id=OID,
        shipment_id=f"{OID}-S1",
        status="handed_to_carrier",
        lines=[line("A", 3)],
        time=at,
    )


def feed(scenario: Scenario, **message: object) -> list[ev.Event]:
    return scenario.when_raw(STOCK_SYNC.name, json.dumps(message, default=str).encode())


def levels(scenario: Scenario) -> tuple[int, int, int]:
    a = stock(scenario, "A")
    return a.on_hand["main"], a.reserved["main"], a.available("main")


@pytest.mark.parametrize("count_first", [True, False], ids=["count first", "departure first"])
@pytest.mark.parametrize(
    ("counted_at", "found"),
    [
        (LEFT_AT + timedelta(hours=1), 7),  # taken after the units left: it did not find them
        (LEFT_AT - timedelta(hours=1), 10),  # taken before: it found them still there
    ],
    ids=["counted after they left", "counted before they left"],
)
def test_a_count_and_a_departure_give_the_same_stock_in_either_order(
    count_first: bool, counted_at: datetime, found: int
) -> None:
    scenario = reserved()
    arrivals: list[Callable[[], object]] = [
        lambda: feed(scenario, sku="A", on_hand=found, counted_at=counted_at.isoformat()),
        lambda: scenario.when(departure()),
    ]
    for arrive in arrivals if count_first else reversed(arrivals):
        arrive()
    assert scenario.dead_letters == []
    # 10 counted in the morning, 3 gone at 11:00: 7 on the shelf, none held any more.
    assert levels(scenario) == (7, 0, 7)


def test_a_departure_that_does_not_say_when_comes_off_as_before() -> None:
    """Published before departures carried their time: nothing to compare a count with."""
    scenario = reserved()
    feed(scenario, sku="A", on_hand=10, counted_at=(LEFT_AT - timedelta(hours=1)).isoformat())
    scenario.when(departure(at=None))
    assert levels(scenario) == (7, 0, 7)


def test_a_carrier_clock_ahead_of_ours_does_not_put_a_departure_after_a_later_count() -> None:
    scenario = reserved()
    scenario.when(departure(at=datetime.now(UTC) + timedelta(hours=6)))
    feed(scenario, sku="A", on_hand=7)  # counted now, after the parcel left
    assert scenario.dead_letters == []
    assert levels(scenario) == (7, 0, 7)


def test_a_count_older_than_the_one_applied_is_refused_with_its_reason() -> None:
    scenario = reserved()
    feed(scenario, sku="A", on_hand=9, counted_at="2025-01-01T12:00:00Z")
    feed(scenario, sku="A", on_hand=4, counted_at="2025-01-01T09:00:00Z")
    (letter,) = scenario.dead_letters
    reason = dict(letter.kafka_headers())["dlq_reason"].decode()
    assert "older than the one applied, taken at 2025-01-01T12:00:00+00:00" in reason
    assert stock(scenario, "A").on_hand["main"] == 9
    with pytest.raises(StaleCountError):
        scenario.execute(set_stock_level("A", 4, at=datetime(2025, 1, 1, 9, tzinfo=UTC)))


def test_a_count_from_before_the_departures_kept_is_refused() -> None:
    scenario = reserved()
    two_days_on = OPENING + 2 * DEPARTURES_KEPT
    scenario.when(departure(at=two_days_on))
    # Later than the opening count, but the units that left since it may be forgotten.
    with pytest.raises(StaleCountError, match="count again"):
        scenario.execute(set_stock_level("A", 10, at=two_days_on - DEPARTURES_KEPT * 1.5))
    assert levels(scenario) == (7, 0, 7)


def test_a_count_time_without_a_count_is_refused() -> None:
    scenario = reserved()
    feed(scenario, sku="A", adjust=1, counted_at="2025-01-01T12:00:00Z")
    (letter,) = scenario.dead_letters
    assert "counted_at dates a count" in dict(letter.kafka_headers())["dlq_reason"].decode()
