"""Wiring: the validation service's subscriptions come from its handlers."""

from ordo_runtime import Service
from ordo_validation.handlers import EVENT_HANDLERS

service = Service("validation", handlers=EVENT_HANDLERS)
