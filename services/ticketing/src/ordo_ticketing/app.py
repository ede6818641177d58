"""Wiring: the process side's subscriptions, the read model, the SLA sweep, the operator API
and its console."""

from fastapi import FastAPI

from ordo_runtime import Service, per_order
from ordo_ticketing.api import router
from ordo_ticketing.console import router as console
from ordo_ticketing.domain import Case
from ordo_ticketing.handlers import EVENT_HANDLERS
from ordo_ticketing.projection import OrderProjection
from ordo_ticketing.sweep import run_sweeps

http = FastAPI(title="Ordo ticketing")
http.include_router(router)
http.include_router(console)
service = Service(
    "ticketing",
    handlers=EVENT_HANDLERS,
    projections=[OrderProjection()],
    http=http,
    tasks=[run_sweeps],
    prefetch=per_order(Case.create_id),
)
