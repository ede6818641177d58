"""A realistic canonical order, as a channel would send it, for ingestion's tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

ORDER: dict[str, Any] = {
    "channel": "webshop",
    "external_id": "W-1",
    "market": "PL",
    "customer": {
        "name": "Jan Kowalski",
        "email": "jan@example.com",
        "phone": "+48 601 234 567",
    },
    "delivery": {
        "method": "courier",
        "address": {
            "line1": "ul. Długa 1",
            "city": "Warszawa",
            "postcode": "00-001",
            "country": "PL",
        },
    },
    "payment": {"method": "cash_on_delivery"},
    "lines": [{"sku": "SKU-1", "quantity": 2, "unit_price": "19.99"}],
}


@pytest.fixture
def order_data() -> dict[str, Any]:
    """A fresh copy each time, so a test may break it as it likes."""
    return copy.deepcopy(ORDER)
