"""Given stock and events -> when an order is validated -> then reserved or short."""

from __future__ import annotations

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_inventory.app import service
from ordo_inventory.domain import Stock
from ordo_inventory.handlers import set_stock_level
from ordo_runtime.testing import Scenario, sample_order


def validated(order: CanonicalOrder, attempt: int = 1) -> ev.OrderValidated:
    return ev.OrderValidated(order_id=order.order_id, order=order, attempt=attempt)


def order_of(ext: str, *lines: tuple[str, int]) -> CanonicalOrder:
    return sample_order(
        external_id=ext,
        lines=[{"sku": sku, "quantity": qty, "unit_price": "5.00"} for sku, qty in lines],
    )


def stocked(**levels: int) -> Scenario:
    scenario = Scenario(service)
    for sku, on_hand in levels.items():
        scenario.execute(set_stock_level(sku, on_hand))
    return scenario


def stock(scenario: Scenario, sku: str) -> Stock:
    found = scenario.app.get(Stock, Stock.create_id(sku))
    assert found is not None
    return found


def test_a_validated_order_reserves_every_line() -> None:
    scenario = stocked(A=5, B=1)
    order = order_of("1", ("A", 2), ("B", 1), ("A", 1))
    (reserved,) = scenario.when(validated(order))
    assert reserved == ev.StockReserved(
        order_id=order.order_id,
        lines=[ev.ReservedLine(sku="A", quantity=3), ev.ReservedLine(sku="B", quantity=1)],
    )
    assert (stock(scenario, "A").available, stock(scenario, "B").available) == (2, 0)


def test_a_shortage_reserves_nothing_and_names_what_is_missing() -> None:
    scenario = stocked(A=5, B=0)
    order = order_of("1", ("A", 2), ("B", 1))
    assert scenario.when(validated(order)) == [
        ev.StockShortage(
            order_id=order.order_id, missing=[ev.MissingStock(sku="B", requested=1, available=0)]
        )
    ]
    assert stock(scenario, "A").available == 5  # all lines or none


def test_an_unknown_sku_is_a_shortage() -> None:
    order = order_of("1", ("NEVER-STOCKED", 1))
    (short,) = Scenario(service).when(validated(order))
    assert isinstance(short, ev.StockShortage)


def test_stock_never_goes_below_zero() -> None:
    scenario = stocked(A=3)
    outcomes = [scenario.when(validated(order_of(str(i), ("A", 1))))[0] for i in range(5)]
    assert [type(o).__name__ for o in outcomes] == ["StockReserved"] * 3 + ["StockShortage"] * 2
    assert stock(scenario, "A").available == 0


def test_a_redelivered_validation_reserves_once() -> None:
    scenario = stocked(A=3)
    order = order_of("1", ("A", 2))
    assert len(scenario.when(validated(order))) == 1
    assert scenario.when(validated(order, attempt=2)) == []
    assert stock(scenario, "A").available == 1


def test_after_a_shortage_a_new_validation_retries_once_stock_arrives() -> None:
    scenario = stocked(A=0)
    order = order_of("1", ("A", 1))
    assert isinstance(scenario.when(validated(order))[0], ev.StockShortage)
    scenario.execute(set_stock_level("A", 4))
    assert isinstance(scenario.when(validated(order, attempt=2))[0], ev.StockReserved)
    assert stock(scenario, "A").available == 3
