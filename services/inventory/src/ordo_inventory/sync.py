"""The stock-sync feed: warehouses and the ERP publish counts and adjustments as JSON on
ordo.stock.sync, one SKU and warehouse per message:

    {"sku": "A-1", "warehouse": "main", "on_hand": 40}      an absolute count
    {"sku": "A-1", "warehouse": "main", "on_hand": 40, "counted_at": "2030-01-01T08:00:00Z"}
    {"sku": "A-1", "warehouse": "main", "adjust": -2}       a change (damage, a found unit)

A count sets on hand and leaves reservations alone, so reservations made while the count
travelled are not lost; a count below what is reserved leaves nothing available and is
reported as a shortfall. A count is what was on the shelf when it was taken (`counted_at`;
when it is applied if not said): a shipment that left before then is not taken off it
again when its departure arrives later, and one that left after, applied first, is. A
message that cannot be applied is dead-lettered with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ordo_events import events as ev
from ordo_events.topics import STOCK_SYNC
from ordo_inventory.domain import DEFAULT_WAREHOUSE, StaleCountError, Stock, as_utc
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
    counted_at: datetime | None = None  # when the count was taken; a zone-less time is UTC

    @model_validator(mode="after")
    def one_kind(self) -> StockSync:
        if (self.on_hand is None) == (self.adjust is None):
            raise ValueError("give exactly one of on_hand (a count) or adjust (a change)")
        if self.counted_at is not None and self.on_hand is None:
            raise ValueError("counted_at dates a count: give it with on_hand only")
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


def apply_count(
    uow: UnitOfWork,
    sku: str,
    warehouse: str,
    on_hand: int,
    at: datetime | None = None,
    by: str | None = None,
) -> Stock:
    """Apply a count from the API or the feed. Always recorded, even when on hand stays the
    same: its time is what later departures are judged by."""
    at = datetime.now(UTC) if at is None else as_utc(at)
    stock = uow.get(Stock, Stock.create_id(sku))
    if stock is None:
        stock = Stock(sku, on_hand, warehouse, by, at)
        uow.add(stock)
    else:
        stock.count(warehouse, on_hand, at, by)
    return stock


def apply_sync(sync: StockSync, uow: UnitOfWork) -> Stock:
    if sync.on_hand is not None:
        try:
            return apply_count(uow, sync.sku, sync.warehouse, sync.on_hand, sync.counted_at)
        except StaleCountError as exc:
            raise StockSyncError(f"stock sync: {exc}: not applied") from None
    assert sync.adjust is not None
    stock = uow.get(Stock, Stock.create_id(sync.sku))
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
