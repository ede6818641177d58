"""Shared givens: an order released for fulfilment, and carrier updates for it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_events.topics import CARRIER_EVENTS
from ordo_fulfillment.app import service
from ordo_fulfillment.collection import Collected
from ordo_runtime.testing import Scenario, sample_order


def released(order: CanonicalOrder, *reserved: ev.ReservedLine) -> tuple[Scenario, list[ev.Event]]:
    """A scenario where `order` was validated, reserved (as `reserved`, or as ordered from
    "main") and paid; and what the release published."""
    lines = list(reserved) or [
        ev.ReservedLine(sku=line.sku, quantity=line.quantity) for line in order.lines
    ]
    scenario = Scenario(service).given(
        ev.OrderValidated(order_id=order.order_id, order=order),
        ev.StockReserved(order_id=order.order_id, lines=lines),
    )
    paid = ev.CashOnDeliveryAccepted(
        order_id=order.order_id, amount=order.total, currency=order.currency
    )
    return scenario, scenario.when(paid)


def planned(events: list[ev.Event]) -> list[ev.ShipmentPlanned]:
    return [e for e in events if isinstance(e, ev.ShipmentPlanned)]


def carrier(scenario: Scenario, **update: Any) -> list[ev.Event]:
    update.setdefault("time", "2030-01-01T10:00:00Z")
    return scenario.when_raw(CARRIER_EVENTS.name, json.dumps(update).encode())


def two_lines() -> CanonicalOrder:
    return sample_order(
        external_id="W-2",
        lines=[
            {"sku": "SKU-1", "quantity": 2, "unit_price": "10.00"},
            {"sku": "SKU-2", "quantity": 1, "unit_price": "25.50"},
        ],
    )


PRICE = Decimal("10.00")


def collected_by(name: str) -> Collected:
    """The counter's record of the customer `name` collecting a pickup, with their ID card."""
    return Collected.model_validate(
        {
            "collected_by": name,
            "document": {"type": "id_card", "last_digits": "123"},
            "relation": "customer",
        }
    )
