"""Wiring: the release gate's subscriptions come from its handlers."""

from ordo_fulfillment.handlers import EVENT_HANDLERS
from ordo_runtime import Service

service = Service("fulfillment", handlers=EVENT_HANDLERS)
