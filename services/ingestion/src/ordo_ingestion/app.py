"""Wiring: ingestion consumes channels' raw records and serves the HTTP intake."""

import uuid

from fastapi import FastAPI

from ordo_events.events import Event
from ordo_ingestion.domain import ChannelOrder
from ordo_ingestion.handlers import NAME, RAW_HANDLERS
from ordo_ingestion.routes import router
from ordo_ingestion.webhooks import router as webhooks
from ordo_runtime import RawMessage, Service

http = FastAPI(title="Ordo ingestion", description="Takes orders from sales channels.")
http.include_router(router)
http.include_router(webhooks)


def touched(message: Event | RawMessage) -> list[uuid.UUID]:
    """Channels key records by order id; a batch loads those orders in one query."""
    if isinstance(message, RawMessage) and message.key:
        return [ChannelOrder.create_id(message.key.decode("utf-8", "replace"))]
    return []


service = Service(NAME, raw_handlers=RAW_HANDLERS, http=http, prefetch=touched)
