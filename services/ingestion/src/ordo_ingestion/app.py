"""Wiring: ingestion consumes channels' raw records and serves the HTTP intake."""

from fastapi import FastAPI

from ordo_ingestion.handlers import RAW_HANDLERS
from ordo_ingestion.routes import router
from ordo_runtime import Service

http = FastAPI(title="Ordo ingestion", description="Takes orders from sales channels.")
http.include_router(router)

service = Service("ingestion", raw_handlers=RAW_HANDLERS, http=http)
