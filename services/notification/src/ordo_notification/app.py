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
    # Each SMTP command's answer waited for the GIL, up to 5 ms by default, beside a busy
    # batch: a session managed a dozen emails a second. Handed over every 0.5 ms, ~90.
    gil_switch_interval_s=0.0005,
)
