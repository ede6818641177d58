"""Ingestion's handlers: a channel's record becomes OrderReceived or OrderRejected."""

from __future__ import annotations

from collections.abc import Sequence

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_events.topics import CHANNEL_ORDERS
from ordo_ingestion.domain import ChannelOrder, Rejection
from ordo_ingestion.intake import UNKNOWN_CHANNEL, Refusal, read_order
from ordo_runtime import RawMessage, UnitOfWork
from ordo_runtime.processor import RawHandler


def on_channel_order(message: RawMessage, uow: UnitOfWork) -> Sequence[ev.Event]:
    result = read_order(message.value)
    if isinstance(result, Refusal):
        return reject(uow, message.id, result)
    return receive(uow, result, message.id)


def receive(uow: UnitOfWork, order: CanonicalOrder, cause: str) -> list[ev.Event]:
    if uow.get(ChannelOrder, ChannelOrder.create_id(order.order_id)) is not None:
        # The channel sent this order again (a retry, or an edit; revisions are not taken yet).
        return []
    uow.add(
        ChannelOrder(
            order.order_id,
            order.channel,
            order.external_id,
            order.model_dump(mode="json"),
            cause,
        )
    )
    return [ev.OrderReceived(order_id=order.order_id, order=order)]


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


RAW_HANDLERS: dict[str, RawHandler] = {CHANNEL_ORDERS.name: on_channel_order}
