"""The order ticketing's tests start from: complete except for the customer's phone."""

from __future__ import annotations

from typing import Any

import pytest

from ordo_events.order import CanonicalOrder
from ordo_runtime.testing import sample_order


def make_order(**changes: Any) -> CanonicalOrder:
    fields: dict[str, Any] = {
        "customer": {"name": "Jan Kowalski", "email": "jan@example.com"},
        "payment": {"method": "prepaid"},
        "lines": [{"sku": "SKU-1", "quantity": 2, "unit_price": "19.99"}],
    }
    return sample_order(**(fields | changes))


@pytest.fixture
def order() -> CanonicalOrder:
    return make_order()
