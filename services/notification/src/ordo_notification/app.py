"""Wiring: subscriptions from the handlers, the mailer task, and a read of an order's notices."""

from __future__ import annotations

from fastapi import FastAPI

from ordo_notification.api import router
from ordo_notification.domain import CustomerNotices
from ordo_notification.handlers import EVENT_HANDLERS
from ordo_notification.mailer import mailer
from ordo_runtime import Service, per_order

http = FastAPI(title="Ordo notification")
http.include_router(router)
service = Service(
    "notification",
    handlers=EVENT_HANDLERS,
    http=http,
    tasks=[mailer],
    prefetch=per_order(CustomerNotices.create_id),
)
