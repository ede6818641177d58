"""Reading stored rejections back from ingestion's own event store (no separate read model:
rejections are rare, and the notification log already holds every one in order)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ordo_events.events import Issue
from ordo_ingestion.domain import REJECTION_CREATED, ChannelOrder, Rejection
from ordo_runtime.store import ServiceApplication

# Notification ids scanned per query while walking the log backwards.
WINDOW = 5000


class RejectionView(BaseModel):
    rejection_id: uuid.UUID
    order_id: str
    channel: str
    external_id: str | None
    issues: list[Issue]
    received_at: datetime
    raw: str


class IntakeView(BaseModel):
    order_id: str
    received: bool
    channel: str | None = None
    external_id: str | None = None
    received_at: datetime | None = None


def recent_rejections(app: ServiceApplication, limit: int) -> list[RejectionView]:
    """The newest `limit` rejections, newest first."""
    recorder = app.process_recorder
    high = recorder.max_notification_id()
    found: list[RejectionView] = []
    while high is not None and high >= 1 and len(found) < limit:
        low = max(1, high - WINDOW + 1)
        notes = recorder.select_notifications(low, WINDOW, stop=high, topics=[REJECTION_CREATED])
        for note in reversed(notes):
            created = app.mapper.to_domain_event(note)
            assert isinstance(created, Rejection.Created)
            found.append(_view(created.originator_id, created.timestamp, created))
            if len(found) == limit:
                break
        high = low - 1
    return found


def rejection(app: ServiceApplication, rejection_id: uuid.UUID) -> RejectionView | None:
    found = app.get(Rejection, rejection_id)
    if not isinstance(found, Rejection):
        return None
    return _view(found.id, found.created_on, found)


def intake(app: ServiceApplication, order_id: str) -> IntakeView:
    found = app.get(ChannelOrder, ChannelOrder.create_id(order_id))
    if not isinstance(found, ChannelOrder):
        return IntakeView(order_id=order_id, received=False)
    return IntakeView(
        order_id=order_id,
        received=True,
        channel=found.channel,
        external_id=found.external_id,
        received_at=found.created_on,
    )


def _view(rejection_id: Any, received_at: datetime, source: Any) -> RejectionView:
    # `source` is the Created event or the aggregate: both carry the same attributes.
    return RejectionView(
        rejection_id=rejection_id,
        order_id=source.order_id,
        channel=source.channel,
        external_id=source.external_id,
        issues=[Issue.model_validate(issue) for issue in source.issues],
        received_at=received_at,
        raw=source.raw,
    )
