"""A realistic canonical order, as a channel would send it, for ingestion's tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ordo_runtime.testing import sample_order

ORDER: dict[str, Any] = sample_order(
    lines=[{"sku": "SKU-1", "quantity": 2, "unit_price": "19.99"}]
).model_dump(mode="json", exclude_none=True)


@pytest.fixture
def order_data() -> dict[str, Any]:
    """A fresh copy each time, so a test may break it as it likes."""
    return copy.deepcopy(ORDER)
