"""Ordo's service runtime, written once: services bring handlers, aggregates and routes."""

from ordo_runtime.processor import RawMessage, per_order
from ordo_runtime.service import Runtime, Service, main
from ordo_runtime.settings import Settings
from ordo_runtime.store import UnitOfWork

__all__ = ["RawMessage", "Runtime", "Service", "Settings", "UnitOfWork", "main", "per_order"]
