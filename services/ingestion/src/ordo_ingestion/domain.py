"""Ingestion's memory: the orders it accepted and the payloads it refused."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from ordo_runtime.ids import stable_id

ORDERS = uuid.UUID("3d6b1f0e-8a52-4f4e-9c1a-2b7e5d9c4a10")
REJECTIONS = uuid.UUID("9e2c7a41-5b3d-4c8e-a6f0-7d1e3b5c9a22")
SKIPS = uuid.UUID("5b0e9d27-1c4f-4a8e-b3d6-8f2a7c1e4d93")


class ChannelOrder(Aggregate):
    """An order ingestion accepted. It exists once per (channel, external id): a re-send of
    the same order finds it and changes nothing."""

    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return stable_id(ORDERS, order_id)

    @event("Received")
    def __init__(
        self,
        order_id: str,
        channel: str,
        external_id: str,
        order: dict[str, Any],
        cause: str,
        revision: str | None = None,
        updated_at: str | None = None,
    ):
        self.order_id = order_id
        self.channel = channel
        self.external_id = external_id
        self.order = order  # the canonical order as JSON, its latest version
        self.cause = cause  # the Kafka record it came from
        self.revisions = [revision] if revision else []  # the channel's versions seen
        self.updated_at = updated_at  # ISO time of the channel's latest version, if it says

    @event("Revised")
    def revise(
        self, order: dict[str, Any], cause: str, revision: str | None, updated_at: str | None
    ) -> None:
        self.order = order
        self.cause = cause
        if revision:
            self.revisions = [*self.revisions, revision]
        self.updated_at = updated_at or self.updated_at


class Skip(Aggregate):
    """A channel order acknowledged but not taken, in a state Ordo does not take (an Allegro
    checkout form before READY_FOR_PROCESSING); one per cause, like a rejection."""

    @staticmethod
    def create_id(cause: str) -> uuid.UUID:
        return uuid.uuid5(SKIPS, cause)

    @event("Recorded")
    def __init__(
        self, cause: str, channel: str, external_id: str, status: str, revision: str | None
    ):
        self.cause = cause
        self.channel = channel
        self.external_id = external_id
        self.status = status
        self.revision = revision


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
SKIP_RECORDED = get_topic(Skip.Recorded)  # type: ignore[attr-defined]  # made by @event
