"""The order ticketing's tests start from: complete except for the customer's phone."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordo_events.order import CanonicalOrder


def make_order(**changes: object) -> CanonicalOrder:
    data: dict[str, object] = {
        "channel": "webshop",
        "external_id": "W-1",
        "market": "PL",
        "customer": {"name": "Jan Kowalski", "email": "jan@example.com"},
        "delivery": {
            "method": "courier",
            "address": {
                "line1": "ul. Długa 1",
                "city": "Warszawa",
                "postcode": "00-001",
                "country": "PL",
            },
        },
        "payment": {"method": "prepaid"},
        "lines": [{"sku": "SKU-1", "quantity": 2, "unit_price": Decimal("19.99")}],
    }
    data.update(changes)
    return CanonicalOrder.model_validate(data)


@pytest.fixture
def order() -> CanonicalOrder:
    return make_order()
