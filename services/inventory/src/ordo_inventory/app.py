"""Wiring: subscriptions from the handlers, and the stock API."""

from __future__ import annotations

import asyncio
from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from ordo_inventory.domain import Stock
from ordo_inventory.handlers import EVENT_HANDLERS, set_stock_level, touched
from ordo_runtime import Service
from ordo_runtime.http import runtime_of

http = FastAPI(title="Ordo inventory")
service = Service("inventory", handlers=EVENT_HANDLERS, http=http, prefetch=touched)


class StockLevel(BaseModel):
    on_hand: int = Field(ge=0, description="Units physically in the warehouse")


@http.put("/stock/{sku}", status_code=200)
async def put_stock(sku: str, level: StockLevel, request: Request) -> dict[str, Any]:
    runtime = runtime_of(request)
    for _ in range(5):  # reservations may be writing the same SKU concurrently
        try:
            await runtime.execute(set_stock_level(sku, level.on_hand))
            break
        except IntegrityError:
            runtime.app.forget([Stock.create_id(sku)])
    else:
        raise HTTPException(409, f"stock of {sku} is changing too fast; try again")
    return await get_stock(sku, request)


@http.get("/stock/{sku}")
async def get_stock(sku: str, request: Request) -> dict[str, Any]:
    app = runtime_of(request).app
    stock = await asyncio.to_thread(app.get, Stock, Stock.create_id(sku))
    if stock is None:
        raise HTTPException(404, f"no stock recorded for SKU {sku!r}")
    return {
        "sku": sku,
        "on_hand": stock.on_hand,
        "reserved": stock.reserved,
        "available": stock.available,
    }
