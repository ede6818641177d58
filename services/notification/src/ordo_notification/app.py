"""Wiring: subscriptions from the handlers, the mailer task, and a read of an order's notices."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, HTTPException, Request

from ordo_notification.domain import CustomerNotices
from ordo_notification.handlers import EVENT_HANDLERS
from ordo_notification.mailer import mailer
from ordo_runtime import Service, per_order
from ordo_runtime.http import runtime_of

http = FastAPI(title="Ordo notification")
service = Service(
    "notification",
    handlers=EVENT_HANDLERS,
    http=http,
    tasks=[mailer],
    prefetch=per_order(CustomerNotices.create_id),
)


@http.get("/notices/{order_id}")
async def get_notices(order_id: str, request: Request) -> dict[str, Any]:
    app = runtime_of(request).app
    notices = await asyncio.to_thread(app.get, CustomerNotices, CustomerNotices.create_id(order_id))
    if notices is None:
        raise HTTPException(404, f"nothing known of order {order_id!r}")
    return {
        "order_id": order_id,
        "email": notices.email,
        "language": notices.language,
        "market": notices.market,
        "pending": sorted(notices.pending),
        "requested": notices.requested,
        "sent": notices.sent,
    }
