"""The read of an order's notices: what its customer was told, and where.

It is an order's, so it needs orders:read, answers 404 to an operator for another market's
order as for a missing one (as ticketing does), and masks the customer's email for callers
without customer:read."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from ordo_notification.domain import CustomerNotices
from ordo_runtime.auth import ORDERS_READ, caller, needs
from ordo_runtime.http import runtime_of
from ordo_runtime.masking import for_caller

router = APIRouter()


@router.get("/notices/{order_id}", openapi_extra=needs(ORDERS_READ))
async def get_notices(order_id: str, request: Request) -> dict[str, Any]:
    app = runtime_of(request).app
    notices = await asyncio.to_thread(app.get, CustomerNotices, CustomerNotices.create_id(order_id))
    if notices is None or not caller(request).sees(notices.market):
        raise HTTPException(404, f"nothing known of order {order_id!r}")
    view = {
        "order_id": order_id,
        "email": notices.email,
        "language": notices.language,
        "market": notices.market,
        "pending": sorted(notices.pending),
        "requested": notices.requested,
        "sent": notices.sent,
    }
    shown: dict[str, Any] = for_caller(request, view)
    return shown
