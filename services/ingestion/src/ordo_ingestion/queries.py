"""Reading stored rejections back from ingestion's own event store (no separate read model:
rejections are rare, and the notification log already holds every one in order)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
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
    market: str | None = None
    received_at: datetime | None = None


class RejectionPage(BaseModel):
    rejections: list[RejectionView]
    # Pass as `before` for the next (older) page; null when this page reached the oldest.
    next_before: int | None = None


def recent_rejections(
    app: ServiceApplication,
    limit: int,
    before: int | None = None,
    channel: str | None = None,
    visible: Callable[[RejectionView], bool] | None = None,
) -> RejectionPage:
    """The newest `limit` rejections older than the cursor `before`, newest first; only
    `channel`'s when given, and only those `visible` to the caller (filtered here, before
    the page is counted, so a page is full while older visible ones exist)."""
    recorder = app.process_recorder
    high = recorder.max_notification_id()
    if high is not None and before is not None:
        high = min(high, before - 1)
    found: list[RejectionView] = []
    position: int | None = None
    while high is not None and high >= 1 and len(found) < limit:
        low = max(1, high - WINDOW + 1)
        notes = recorder.select_notifications(low, WINDOW, stop=high, topics=[REJECTION_CREATED])
        for note in reversed(notes):
            created = app.mapper.to_domain_event(note)
            assert isinstance(created, Rejection.Created)
            if channel is not None and created.channel != channel:
                continue
            view = _view(created.originator_id, created.timestamp, created)
            if visible is not None and not visible(view):
                continue
            found.append(view)
            position = note.id
            if len(found) == limit:
                break
        high = low - 1
    more = len(found) == limit and position is not None and position > 1
    return RejectionPage(rejections=found, next_before=position if more else None)


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
        market=found.order.get("market"),
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
