"""Wiring: the gate's subscriptions come from its handlers, carriers' updates from the raw
topic, and the HTTP routes from api.py."""

from fastapi import FastAPI

from ordo_fulfillment.api import router
from ordo_fulfillment.handlers import EVENT_HANDLERS, RAW_HANDLERS, prefetch
from ordo_runtime import Service

http = FastAPI(title="Ordo fulfillment")
http.include_router(router)
service = Service(
    "fulfillment",
    handlers=EVENT_HANDLERS,
    raw_handlers=RAW_HANDLERS,
    http=http,
    prefetch=prefetch,
)
