"""Shared givens for inventory's scenarios."""

from __future__ import annotations

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_inventory.app import service
from ordo_inventory.domain import Reservation, Stock
from ordo_inventory.handlers import set_stock_level
from ordo_runtime.testing import Scenario, sample_order


def validated(order: CanonicalOrder, attempt: int = 1) -> ev.OrderValidated:
    return ev.OrderValidated(order_id=order.order_id, order=order, attempt=attempt)


def order_of(ext: str, *lines: tuple[str, int], **changes: object) -> CanonicalOrder:
    return sample_order(
        external_id=ext,
        lines=[{"sku": sku, "quantity": qty, "unit_price": "5.00"} for sku, qty in lines],
        **changes,
    )


def stocked(**levels: int) -> Scenario:
    """Stock in the default warehouse."""
    scenario = Scenario(service)
    for sku, on_hand in levels.items():
        scenario.execute(set_stock_level(sku, on_hand))
    return scenario


def stock(scenario: Scenario, sku: str) -> Stock:
    found = scenario.app.get(Stock, Stock.create_id(sku))
    assert found is not None
    return found


def reservation(scenario: Scenario, order_id: str) -> Reservation:
    found = scenario.app.get(Reservation, Reservation.create_id(order_id))
    assert found is not None
    return found


def line(sku: str, quantity: int, warehouse: str = "main") -> ev.ReservedLine:
    return ev.ReservedLine(sku=sku, quantity=quantity, warehouse=warehouse)
