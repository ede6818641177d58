"""Wiring: the process side's subscriptions, the read model, and the operator API."""

from fastapi import FastAPI

from ordo_runtime import Service, per_order
from ordo_ticketing.api import router
from ordo_ticketing.domain import Case
from ordo_ticketing.handlers import EVENT_HANDLERS
from ordo_ticketing.projection import OrderProjection

http = FastAPI(title="Ordo ticketing")
http.include_router(router)
service = Service(
    "ticketing",
    handlers=EVENT_HANDLERS,
    projections=[OrderProjection()],
    http=http,
    prefetch=per_order(Case.create_id),
)
