"""The stock-sync feed: warehouses and the ERP publish counts and adjustments as JSON on
ordo.stock.sync, one SKU and warehouse per message:

    {"sku": "A-1", "warehouse": "main", "on_hand": 40}      an absolute count
    {"sku": "A-1", "warehouse": "main", "adjust": -2}       a change (damage, a found unit)

A count sets on hand and leaves reservations alone, so reservations made while the count
travelled are not lost; a count below what is reserved leaves nothing available and is
reported as a shortfall. A message that cannot be applied is dead-lettered with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ordo_events import events as ev
from ordo_events.topics import STOCK_SYNC
from ordo_inventory.domain import DEFAULT_WAREHOUSE, Stock
from ordo_runtime import RawMessage, UnitOfWork
from ordo_runtime.processor import RawHandler

log = logging.getLogger(__name__)


class StockSyncError(ValueError):
    """A feed message that cannot be applied; its text is the dead letter's reason."""


class StockSync(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sku: str = Field(min_length=1)
    warehouse: str = Field(default=DEFAULT_WAREHOUSE, min_length=1)
    on_hand: int | None = Field(default=None, ge=0)
    adjust: int | None = None

    @model_validator(mode="after")
    def one_kind(self) -> StockSync:
        if (self.on_hand is None) == (self.adjust is None):
            raise ValueError("give exactly one of on_hand (a count) or adjust (a change)")
        return self


def read_sync(value: bytes | None) -> StockSync:
    if not value:
        raise StockSyncError("stock sync: empty message")
    try:
        return StockSync.model_validate_json(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'message'}: {e['msg']}" for e in exc.errors()
        )
        raise StockSyncError(f"stock sync: {problems}") from None


def apply_sync(sync: StockSync, uow: UnitOfWork) -> Stock:
    stock = uow.get(Stock, Stock.create_id(sync.sku))
    if sync.on_hand is not None:
        if stock is None:
            stock = Stock(sync.sku, sync.on_hand, sync.warehouse)
            uow.add(stock)
        elif stock.on_hand.get(sync.warehouse) != sync.on_hand:
            stock.count(sync.warehouse, sync.on_hand)
    else:
        assert sync.adjust is not None
        if stock is None:
            stock = Stock(sync.sku, 0, sync.warehouse)
            uow.add(stock)
        try:
            stock.adjust(sync.warehouse, sync.adjust)
        except ValueError as exc:
            raise StockSyncError(f"stock sync: {exc}; stock never goes below zero") from None
    return stock


def on_stock_sync(message: RawMessage, uow: UnitOfWork) -> Sequence[ev.Event]:
    sync = read_sync(message.value)
    stock = apply_sync(sync, uow)
    if shortfall := stock.shortfall(sync.warehouse):
        # Rare (a count per SKU now and then), so a log line costs nothing on the hot path.
        log.warning(
            "count of %s@%s is %s units below what orders hold (%s on hand, %s reserved)",
            sync.sku,
            sync.warehouse,
            shortfall,
            stock.on_hand.get(sync.warehouse, 0),
            stock.reserved.get(sync.warehouse, 0),
        )
    return []


RAW_HANDLERS: dict[str, RawHandler] = {STOCK_SYNC.name: on_stock_sync}
