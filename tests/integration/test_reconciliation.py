"""Reconciliation on the real stack: a Stock whose reserved total drifted from what the
reservations hold, written into inventory's own PostgreSQL store by another process (as a bug,
a hand edit or another replica would), is found and repaired; nothing else changes."""

from __future__ import annotations

import uuid

import pytest

from ordo_cli.reconcile import reconcile
from ordo_inventory.domain import Stock
from ordo_runtime import UnitOfWork
from ordo_runtime.settings import Settings
from ordo_runtime.store import ServiceApplication
from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually
from tests.integration.test_inventory_flows import stock_of
from tests.integration.test_order_paths import set_stock, submit

pytestmark = pytest.mark.integration


def corrupt(ordo: Ordo, sku: str, reserved: int) -> None:
    """What the in-memory test does, on inventory's real store, from outside the service."""
    app = ServiceApplication("inventory", Settings(database_url=ordo.stack.database_url))
    try:
        uow = UnitOfWork(app)
        stock = uow.get(Stock, Stock.create_id(sku))
        assert stock is not None
        stock.correct("main", reserved)
        uow.commit()
    finally:
        app.close()


def test_a_drifted_reserved_total_is_found_and_repaired_and_nothing_else_changes(
    ordo: Ordo,
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    drifting, steady = f"RECON-A-{tag}", f"RECON-B-{tag}"
    set_stock(ordo, drifting, 10)
    set_stock(ordo, steady, 10)
    order = sample_order(
        external_id=f"recon-{tag}",
        payment={"method": "prepaid"},  # unpaid: its reservation holds, nothing ships
        lines=[
            {"sku": drifting, "quantity": 2, "unit_price": "10.00"},
            {"sku": steady, "quantity": 1, "unit_price": "10.00"},
        ],
    )
    submit(ordo, order)
    eventually(
        lambda: stock_of(ordo, drifting)["reserved"] == 2 and stock_of(ordo, steady)["reserved"],
        what="the order's stock reserved",
    )
    token = ordo.tokens["manager"]
    assert reconcile(ordo.urls["inventory"], token=token)["drift"] == []
    before = {sku: stock_of(ordo, sku) for sku in (drifting, steady)}  # read since: cached

    corrupt(ordo, drifting, 7)

    repaired = reconcile(ordo.urls["inventory"], repair=True, token=token)  # --repair
    assert repaired["repaired"]
    drift = [{"sku": drifting, "warehouse": "main", "recorded": 7, "expected": 2}]
    assert repaired["drift"] == drift  # the only drift in the store, the only one repaired
    assert reconcile(ordo.urls["inventory"], token=token)["drift"] == []
    assert {sku: stock_of(ordo, sku) for sku in (drifting, steady)} == before
