"""Ingestion's handlers: a channel's record becomes OrderReceived, OrderRevised or
OrderRejected (or a recorded skip)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ordo_events import events as ev
from ordo_events.topics import CHANNEL_ORDERS, CHANNEL_TOPICS
from ordo_ingestion.channels import Adapted, Skipped
from ordo_ingestion.domain import ChannelOrder, Rejection, Skip
from ordo_ingestion.intake import UNKNOWN_CHANNEL, Refusal, read_channel
from ordo_runtime import RawMessage, UnitOfWork
from ordo_runtime.processor import RawHandler, dead_letter
from ordo_runtime.service import group_of, source_of

NAME = "ingestion"  # the Service's name (app.py): the runtime derives the two below from it
# A refusal's dead letter is named as the processor names its own letters: by this source,
# its id derived from this group and the record, so one record has one letter.
SOURCE, GROUP = source_of(NAME), group_of(NAME)


def on_channel_order(message: RawMessage, uow: UnitOfWork) -> Sequence[ev.Event]:
    return take(uow, "canonical", message)


def channel_handler(channel: str) -> RawHandler:
    """The handler for a channel's own topic: its native payloads through its adapter."""

    def on_native_order(message: RawMessage, uow: UnitOfWork) -> Sequence[ev.Event]:
        return take(uow, channel, message)

    return on_native_order


def take(uow: UnitOfWork, channel: str, message: RawMessage) -> list[ev.Event]:
    result = read_channel(channel, message.value)
    if isinstance(result, Refusal):
        rejected = reject(uow, message.id, result)
        if rejected:  # the first time: a redelivered record is no second letter
            # On Kafka the refusal is also a record on the dead-letter topic, where the
            # channel's own consumers look; the operators' queue leaves it to the ticket.
            reason = "; ".join(f"{i.code}: {i.message}" for i in result.issues)
            uow.publish(dead_letter(message, f"rejected: {reason}", SOURCE, GROUP, "rejected"))
        return rejected
    if isinstance(result, Skipped):
        return skip(uow, channel, result, message.id)
    return receive(uow, result, message.id)


def receive(uow: UnitOfWork, adapted: Adapted, cause: str) -> list[ev.Event]:
    """The first version of an order is received; a changed later one revises it. A re-send
    of a version already seen (same revision, or same content) changes nothing."""
    order, revision, warnings = adapted.order, adapted.revision, adapted.warnings
    stamp = adapted.updated_at.isoformat() if adapted.updated_at else None
    found = uow.get(ChannelOrder, ChannelOrder.create_id(order.order_id))
    data = order.model_dump(mode="json")
    if found is None:
        uow.add(
            ChannelOrder(
                order.order_id, order.channel, order.external_id, data, cause, revision, stamp
            )
        )
        return [ev.OrderReceived(order_id=order.order_id, order=order, warnings=warnings)]
    if (revision and revision in found.revisions) or data == found.order:
        return []
    if _older(adapted.updated_at, found.updated_at):
        return []  # a late delivery of a version the channel has since replaced
    found.revise(data, cause, revision, stamp)
    return [
        ev.OrderRevised(order_id=order.order_id, order=order, revision=revision, warnings=warnings)
    ]


def skip(uow: UnitOfWork, channel: str, skipped: Skipped, cause: str) -> list[ev.Event]:
    """Acknowledge and remember an order in a state Ordo does not take; it is no order yet."""
    skip_id = Skip.create_id(cause)
    if uow.get(Skip, skip_id) is None:
        uow.add(Skip(cause, channel, skipped.external_id, skipped.status, skipped.revision))
    return []


def _older(new: datetime | None, kept: str | None) -> bool:
    if new is None or kept is None:
        return False
    try:
        return new < datetime.fromisoformat(kept)
    except (ValueError, TypeError):  # naive against aware: cannot tell, so do not drop it
        return False


def reject(uow: UnitOfWork, cause: str, refusal: Refusal) -> list[ev.Event]:
    """Keep a refused payload and say so; once per cause, so a redelivery adds nothing."""
    rejection_id = Rejection.create_id(cause)
    if uow.get(Rejection, rejection_id) is not None:
        return []
    order_id = refusal.order_id
    if order_id is None or uow.get(ChannelOrder, ChannelOrder.create_id(order_id)) is not None:
        # Without a readable reference the rejection is its own subject. A bad re-send of an
        # order already accepted also stands alone: on the order's id it would mark that
        # accepted order rejected.
        order_id = str(rejection_id)
    channel = refusal.channel or UNKNOWN_CHANNEL
    issues = [issue.model_dump(mode="json") for issue in refusal.issues]
    uow.add(Rejection(cause, order_id, channel, refusal.external_id, issues, refusal.raw))
    return [
        ev.OrderRejected(
            order_id=order_id,
            channel=channel,
            external_id=refusal.external_id,
            issues=refusal.issues,
            raw=refusal.raw,
        )
    ]


RAW_HANDLERS: dict[str, RawHandler] = {
    CHANNEL_ORDERS.name: on_channel_order,
    **{topic.name: channel_handler(name) for name, topic in CHANNEL_TOPICS.items()},
}
