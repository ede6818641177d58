"""Wiring: the validation service's subscriptions come from its handlers."""

from ordo_runtime import Service, per_order
from ordo_validation.domain import OrderCheck
from ordo_validation.handlers import EVENT_HANDLERS

service = Service("validation", handlers=EVENT_HANDLERS, prefetch=per_order(OrderCheck.create_id))
