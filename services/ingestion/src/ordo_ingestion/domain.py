"""Ingestion's memory: the orders it accepted and the payloads it refused."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

ORDERS = uuid.UUID("3d6b1f0e-8a52-4f4e-9c1a-2b7e5d9c4a10")
REJECTIONS = uuid.UUID("9e2c7a41-5b3d-4c8e-a6f0-7d1e3b5c9a22")


class ChannelOrder(Aggregate):
    """An order ingestion accepted. It exists once per (channel, external id): a re-send of
    the same order finds it and changes nothing."""

    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return uuid.uuid5(ORDERS, order_id)

    @event("Received")
    def __init__(
        self, order_id: str, channel: str, external_id: str, order: dict[str, Any], cause: str
    ):
        self.order_id = order_id
        self.channel = channel
        self.external_id = external_id
        self.order = order  # the canonical order as JSON, as it was first accepted
        self.cause = cause  # the Kafka record it came from


class Rejection(Aggregate):
    """A payload that was not an order, kept whole with its reasons so that nothing a channel
    sends is lost. `cause` names what was refused: a Kafka record, or an HTTP body's hash."""

    class Created(Aggregate.Created):
        cause: str
        order_id: str
        channel: str
        external_id: str | None
        issues: list[dict[str, Any]]
        raw: str

    @staticmethod
    def create_id(cause: str) -> uuid.UUID:
        return uuid.uuid5(REJECTIONS, cause)

    @event(Created)
    def __init__(
        self,
        cause: str,
        order_id: str,
        channel: str,
        external_id: str | None,
        issues: list[dict[str, Any]],
        raw: str,
    ):
        self.cause = cause
        self.order_id = order_id
        self.channel = channel
        self.external_id = external_id
        self.issues = issues
        self.raw = raw


# The notification-log topic the rejection list is read from.
REJECTION_CREATED = get_topic(Rejection.Created)
