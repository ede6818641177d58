"""Given stock and events -> when an order is validated -> then reserved or short."""

from __future__ import annotations

import pytest

from ordo_events import events as ev
from ordo_inventory.app import service
from ordo_inventory.domain import Stock
from ordo_inventory.handlers import set_stock_level
from ordo_inventory.settings import SETTINGS
from ordo_runtime.testing import Scenario
from services.inventory.tests.support import line, order_of, stock, stocked, validated


def test_a_validated_order_reserves_every_line() -> None:
    scenario = stocked(A=5, B=1)
    order = order_of("1", ("A", 2), ("B", 1), ("A", 1))
    (reserved,) = scenario.when(validated(order))
    assert reserved == ev.StockReserved(order_id=order.order_id, lines=[line("A", 3), line("B", 1)])
    assert (stock(scenario, "A").available("main"), stock(scenario, "B").available("main")) == (
        2,
        0,
    )


def test_a_shortage_reserves_nothing_and_names_what_is_missing() -> None:
    scenario = stocked(A=5, B=0)
    order = order_of("1", ("A", 2), ("B", 1))
    assert scenario.when(validated(order)) == [
        ev.StockShortage(
            order_id=order.order_id, missing=[ev.MissingStock(sku="B", requested=1, available=0)]
        )
    ]
    assert stock(scenario, "A").available("main") == 5  # all lines or none


def test_an_unknown_sku_is_a_shortage() -> None:
    order = order_of("1", ("NEVER-STOCKED", 1))
    (short,) = Scenario(service).when(validated(order))
    assert isinstance(short, ev.StockShortage)


def test_stock_never_goes_below_zero() -> None:
    scenario = stocked(A=3)
    outcomes = [scenario.when(validated(order_of(str(i), ("A", 1))))[0] for i in range(5)]
    assert [type(o).__name__ for o in outcomes] == ["StockReserved"] * 3 + ["StockShortage"] * 2
    assert stock(scenario, "A").available("main") == 0
    assert stock(scenario, "A").reserved == {"main": 3}


def test_a_redelivered_validation_reserves_once() -> None:
    scenario = stocked(A=3)
    order = order_of("1", ("A", 2))
    assert len(scenario.when(validated(order))) == 1
    assert scenario.when(validated(order, attempt=2)) == []
    assert stock(scenario, "A").available("main") == 1


def test_after_a_shortage_a_new_validation_retries_once_stock_arrives() -> None:
    scenario = stocked(A=0)
    order = order_of("1", ("A", 1))
    assert isinstance(scenario.when(validated(order))[0], ev.StockShortage)
    scenario.execute(set_stock_level("A", 4))
    assert isinstance(scenario.when(validated(order, attempt=2))[0], ev.StockReserved)
    assert stock(scenario, "A").available("main") == 3


def in_warehouses(**levels: dict[str, int]) -> Scenario:
    scenario = Scenario(service)
    for sku, per_warehouse in levels.items():
        for warehouse, on_hand in per_warehouse.items():
            scenario.execute(set_stock_level(sku, on_hand, warehouse))
    return scenario


def test_a_line_comes_from_the_first_preferred_warehouse_that_covers_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SETTINGS, "warehouses", "north,south")
    scenario = in_warehouses(A={"south": 5, "north": 1, "main": 9})
    order = order_of("1", ("A", 3))
    assert scenario.when(validated(order)) == [
        ev.StockReserved(order_id=order.order_id, lines=[line("A", 3, "south")])
    ]
    assert stock(scenario, "A").reserved == {"south": 3}


def test_a_line_no_warehouse_covers_alone_is_split_in_order_of_preference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SETTINGS, "warehouses", "north,south")
    scenario = in_warehouses(A={"south": 2, "north": 1, "main": 9})
    order = order_of("1", ("A", 12))
    assert scenario.when(validated(order)) == [
        ev.StockReserved(
            order_id=order.order_id,
            lines=[line("A", 1, "north"), line("A", 2, "south"), line("A", 9, "main")],
        )
    ]
    assert all(stock(scenario, "A").available(w) == 0 for w in ("north", "south", "main"))


def test_warehouses_together_short_of_a_line_reserve_nothing() -> None:
    scenario = in_warehouses(A={"south": 2, "main": 1})
    order = order_of("1", ("A", 4))
    assert scenario.when(validated(order)) == [
        ev.StockShortage(
            order_id=order.order_id, missing=[ev.MissingStock(sku="A", requested=4, available=3)]
        )
    ]
    assert stock(scenario, "A").reserved == {}


def test_a_count_sets_on_hand_and_keeps_the_reservations() -> None:
    scenario = stocked(A=5)
    scenario.when(validated(order_of("1", ("A", 2))))
    scenario.execute(set_stock_level("A", 10))
    assert (stock(scenario, "A").reserved["main"], stock(scenario, "A").available("main")) == (
        2,
        8,
    )


def test_a_count_below_what_is_reserved_leaves_none_available_and_shows_a_shortfall() -> None:
    scenario = stocked(A=5)
    scenario.when(validated(order_of("1", ("A", 4))))
    scenario.execute(set_stock_level("A", 1))
    counted = stock(scenario, "A")
    assert (counted.available("main"), counted.shortfall("main")) == (0, 3)
    assert isinstance(scenario.when(validated(order_of("2", ("A", 1))))[0], ev.StockShortage)


def test_a_count_by_hand_names_who_counted_it() -> None:
    scenario = Scenario(service)
    scenario.execute(set_stock_level("SKU-W", 5, by="magda"))
    scenario.execute(set_stock_level("SKU-W", 7, "north", by="olek"))
    stock = scenario.app.get(Stock, Stock.create_id("SKU-W"))
    assert stock is not None
    assert (stock.on_hand, stock.changed_by) == ({"main": 5, "north": 7}, "olek")
    counted: Stock = scenario.app.repository.get(Stock.create_id("SKU-W"), version=1)
    assert counted.changed_by == "magda"
