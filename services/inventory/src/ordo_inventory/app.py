"""Wiring: subscriptions from the handlers, the expiry sweep, and the stock API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from ordo_events.events import Event
from ordo_inventory import reconcile
from ordo_inventory.domain import StaleCountError, Stock
from ordo_inventory.expiry import sweep_task
from ordo_inventory.handlers import EVENT_HANDLERS, RAW_HANDLERS, set_stock_level, touched
from ordo_inventory.settings import SETTINGS
from ordo_runtime import Runtime, Service, UnitOfWork
from ordo_runtime.auth import caller
from ordo_runtime.http import runtime_of

http = FastAPI(title="Ordo inventory")
service = Service(
    "inventory",
    handlers=EVENT_HANDLERS,
    raw_handlers=RAW_HANDLERS,
    http=http,
    prefetch=touched,
    tasks=[sweep_task],
)
ATTEMPTS = 5  # reservations may be writing the same SKU concurrently


class StockLevel(BaseModel):
    on_hand: int = Field(ge=0, description="Units physically in the warehouse")
    counted_at: datetime | None = Field(
        default=None, description="When it was counted (a zone-less time is UTC); now if not said"
    )


async def retried(
    runtime: Runtime, command: Callable[[UnitOfWork], Sequence[Event]], stock_ids: Sequence[Any]
) -> None:
    for _ in range(ATTEMPTS):
        try:
            await runtime.execute(command)
            return
        except IntegrityError:
            runtime.app.forget(list(stock_ids))
        except StaleCountError as exc:
            raise HTTPException(409, f"{exc}: not applied") from None
    raise HTTPException(409, "stock is changing too fast; try again")


@http.put("/stock/{sku}", status_code=200)
async def put_stock(sku: str, level: StockLevel, request: Request) -> dict[str, Any]:
    """The default warehouse's count."""
    runtime = runtime_of(request)
    command = set_stock_level(sku, level.on_hand, by=caller(request).name, at=level.counted_at)
    await retried(runtime, command, [Stock.create_id(sku)])
    return await get_stock(sku, request)


@http.put("/stock/{sku}/{warehouse}", status_code=200)
async def put_warehouse_stock(
    sku: str, warehouse: str, level: StockLevel, request: Request
) -> dict[str, Any]:
    runtime = runtime_of(request)
    command = set_stock_level(sku, level.on_hand, warehouse, caller(request).name, level.counted_at)
    await retried(runtime, command, [Stock.create_id(sku)])
    return await get_warehouse_stock(sku, warehouse, request)


@http.get("/stock/{sku}")
async def get_stock(sku: str, request: Request, by_warehouse: bool = False) -> dict[str, Any]:
    """Totals over every warehouse; with `by_warehouse=true`, each warehouse's own figures."""
    stock = await stock_of(sku, request)
    names = stock.warehouses(SETTINGS.preference)
    levels = {w: level(stock, w) for w in names}
    totals = {k: sum(levels[w][k] for w in names) for k in ("on_hand", "reserved", "available")}
    return {"sku": sku, **totals, **({"warehouses": levels} if by_warehouse else {})}


@http.get("/stock/{sku}/{warehouse}")
async def get_warehouse_stock(sku: str, warehouse: str, request: Request) -> dict[str, Any]:
    stock = await stock_of(sku, request)
    if warehouse not in stock.warehouses():
        raise HTTPException(404, f"no stock of {sku!r} recorded in warehouse {warehouse!r}")
    return {"sku": sku, "warehouse": warehouse, **level(stock, warehouse)}


async def stock_of(sku: str, request: Request) -> Stock:
    app = runtime_of(request).app
    # Fresh, not cached: another replica may have written this SKU's stock since.
    stock = await asyncio.to_thread(app.fresh, Stock, Stock.create_id(sku))
    if stock is None:
        raise HTTPException(404, f"no stock recorded for SKU {sku!r}")
    return stock


def level(stock: Stock, warehouse: str) -> dict[str, int]:
    """`shortfall`: what orders hold beyond what was counted on hand, to be looked into."""
    return {
        "on_hand": stock.on_hand.get(warehouse, 0),
        "reserved": stock.reserved.get(warehouse, 0),
        "available": stock.available(warehouse),
        "shortfall": stock.shortfall(warehouse),
    }


@http.get("/reconciliation")
async def get_reconciliation(request: Request) -> dict[str, Any]:
    """Reserved totals recomputed from the reservations, and where Stock differs."""
    app = runtime_of(request).app
    return (await asyncio.to_thread(reconcile.check, app)).as_json()


@http.post("/reconciliation/repair")
async def repair(request: Request) -> dict[str, Any]:
    """Correct every drifting reserved total with an event; the report says what was fixed."""
    runtime = runtime_of(request)
    for _ in range(ATTEMPTS):
        found: list[reconcile.Report] = []
        try:
            await runtime.execute(reconcile.repair(runtime.app, found, caller(request).name))
            return found[-1].as_json()
        except IntegrityError:
            continue  # a reservation changed a Stock meanwhile: examine again
    raise HTTPException(409, "stock kept changing during the repair; try again")
