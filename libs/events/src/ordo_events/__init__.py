"""Ordo's event contracts. Importable everywhere; runs nothing; knows no Kafka, database or settings."""

from ordo_events.envelope import Envelope, UndecodableMessage, decode, event_type_of
from ordo_events.events import EVENT_TYPES, Event, Issue
from ordo_events.order import CanonicalOrder, Correction, order_id_for
from ordo_events.state import FINAL_STATUSES, OrderState, Status

__all__ = [
    "EVENT_TYPES",
    "FINAL_STATUSES",
    "CanonicalOrder",
    "Correction",
    "Envelope",
    "Event",
    "Issue",
    "OrderState",
    "Status",
    "UndecodableMessage",
    "decode",
    "event_type_of",
    "order_id_for",
]
