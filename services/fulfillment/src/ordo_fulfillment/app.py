"""Wiring: the release gate's subscriptions come from its handlers."""

from ordo_fulfillment.domain import ReleaseGate
from ordo_fulfillment.handlers import EVENT_HANDLERS
from ordo_runtime import Service, per_order

service = Service("fulfillment", handlers=EVENT_HANDLERS, prefetch=per_order(ReleaseGate.create_id))
