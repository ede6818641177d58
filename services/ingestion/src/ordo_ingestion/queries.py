"""Reading stored rejections back from ingestion's own event store (no separate read model:
rejections are rare, and the notification log already holds every one in order)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from ordo_events.events import Issue
from ordo_ingestion.domain import REJECTION_CREATED, SKIP_RECORDED, ChannelOrder, Rejection
from ordo_runtime.store import ServiceApplication

V = TypeVar("V")
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


class SkipView(BaseModel):
    channel: str
    external_id: str
    status: str  # the channel's status, which Ordo does not take
    revision: str | None
    cause: str  # the Kafka record or HTTP body it came in
    received_at: datetime


class SkipPage(BaseModel):
    skips: list[SkipView]
    next_before: int | None = None


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

    def view(created: Any) -> RejectionView | None:
        assert isinstance(created, Rejection.Created)
        if channel is not None and created.channel != channel:
            return None
        found = _view(created.originator_id, created.timestamp, created)
        return found if visible is None or visible(found) else None

    found, next_before = _newest(app, REJECTION_CREATED, limit, before, view)
    return RejectionPage(rejections=found, next_before=next_before)


def recent_skips(
    app: ServiceApplication, limit: int, before: int | None = None, channel: str | None = None
) -> SkipPage:
    """Channel orders acknowledged but not taken (an Allegro form before READY_FOR_PROCESSING),
    newest first, paged like rejections: what a channel sent that is no order yet."""

    def view(recorded: Any) -> SkipView | None:
        # Skip.Recorded, the class eventsourcing makes for Skip's @event("Recorded")
        if channel is not None and recorded.channel != channel:
            return None
        return SkipView(
            channel=recorded.channel,
            external_id=recorded.external_id,
            status=recorded.status,
            revision=recorded.revision,
            cause=recorded.cause,
            received_at=recorded.timestamp,
        )

    found, next_before = _newest(app, SKIP_RECORDED, limit, before, view)
    return SkipPage(skips=found, next_before=next_before)


def _newest(
    app: ServiceApplication,
    topic: str,
    limit: int,
    before: int | None,
    view: Callable[[Any], V | None],
) -> tuple[list[V], int | None]:
    """Walk the log backwards from `before` for `topic`'s events; `view` turns one into what
    is listed, or None to pass it over. Returns the page and the cursor for the next one."""
    recorder = app.process_recorder
    high = recorder.max_notification_id()
    if high is not None and before is not None:
        high = min(high, before - 1)
    found: list[V] = []
    position: int | None = None
    while high is not None and high >= 1 and len(found) < limit:
        low = max(1, high - WINDOW + 1)
        notes = recorder.select_notifications(low, WINDOW, stop=high, topics=[topic])
        for note in reversed(notes):
            shown = view(app.mapper.to_domain_event(note))
            if shown is None:
                continue
            found.append(shown)
            position = note.id
            if len(found) == limit:
                break
        high = low - 1
    more = len(found) == limit and position is not None and position > 1
    return found, (position if more else None)


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
