"""Fulfillment's handlers: each notes one fact, then the gate decides; a released order is
split into shipments at once; carriers' updates move the shipments on. The gate also decides
what a channel's revision of the order means (before or after release), whether the
order can still be cancelled, and when a parcel that came back is sent again (reship.py).
A cancelled gate changes no more: no fact releases it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ordo_events import events as ev
from ordo_events.topics import CARRIER_EVENTS
from ordo_fulfillment.carrier import on_carrier_update
from ordo_fulfillment.domain import ChannelRegistry, ReleaseGate
from ordo_fulfillment.planning import Shipping, plan, planned_event
from ordo_fulfillment.reship import on_reship_requested, on_stock_reheld
from ordo_runtime import RawMessage, UnitOfWork
from ordo_runtime.processor import RawHandler


def existing(uow: UnitOfWork, order_id: str) -> ReleaseGate | None:
    return uow.get(ReleaseGate, ReleaseGate.create_id(order_id))


def opened(uow: UnitOfWork, order_gate: ReleaseGate) -> ReleaseGate:
    uow.add(order_gate)
    return order_gate


def on_validated(event: ev.OrderValidated, uow: UnitOfWork) -> Sequence[ev.Event]:
    order_gate = existing(uow, event.order_id)
    if order_gate is not None and order_gate.cancelled:
        return []
    if order_gate is not None and event.sequence != order_gate.sequence:
        return []  # a verdict on a version a revision has since replaced
    if order_gate is not None and order_gate.validated:
        return []  # a repeat, or a re-validation after release: the plan stands
    shipping = Shipping.of(event.order)
    if order_gate is None:
        order_gate = opened(
            uow, ReleaseGate(event.order_id, validated=True, order=shipping.stored())
        )
    else:
        order_gate.note_verdict(True, shipping.stored())
    return release_if_ready(uow, order_gate, shipping)


def on_validation_failed(event: ev.OrderValidationFailed, uow: UnitOfWork) -> Sequence[ev.Event]:
    order_gate = existing(uow, event.order_id)
    if (
        order_gate is None
        or order_gate.released
        or order_gate.cancelled
        or event.sequence != order_gate.sequence
    ):
        return []
    if order_gate.validated:
        order_gate.note_verdict(False)
    return []


def on_reserved(event: ev.StockReserved, uow: UnitOfWork) -> Sequence[ev.Event]:
    """The gate follows inventory's latest word on the order (its events for one order come
    in order on one partition), so it holds what inventory holds: a re-reservation after a
    revision or a failed payment replaces the lines noted before."""
    lines = [line.model_dump() for line in event.lines]
    order_gate = existing(uow, event.order_id)
    if order_gate is None:
        order_gate = opened(uow, ReleaseGate(event.order_id, reserved=lines))
    elif order_gate.released or order_gate.cancelled:
        return []
    elif order_gate.reserved != lines:
        order_gate.note_reservation(lines)
    return release_if_ready(uow, order_gate)


def on_stock_released(event: ev.StockReleased, uow: UnitOfWork) -> Sequence[ev.Event]:
    """Stock given back before release (a revision, a failed or late payment, a
    cancellation): nothing is held until inventory says it reserved again."""
    order_gate = existing(uow, event.order_id)
    if order_gate is None or order_gate.released or order_gate.cancelled:
        return []
    if order_gate.reserved is not None:
        order_gate.drop_reservation()
    return []


def on_revised(event: ev.OrderRevised, uow: UnitOfWork) -> Sequence[ev.Event]:
    """The channel changed the order. The gate decides what that means, because only it
    knows, in this same write, whether the order was released: before release the revision
    replaces the order (OrderRevisionAccepted: validation judges it again, inventory
    re-reserves if the lines changed, and the gate waits for both); after release it changes
    nothing and an operator gets a ticket (OrderRevisedAfterRelease)."""
    digest = hashlib.sha256(event.order.model_dump_json().encode()).hexdigest()
    order_gate = existing(uow, event.order_id)
    if order_gate is None:
        order_gate = opened(uow, ReleaseGate(event.order_id))
    elif order_gate.revised == digest or order_gate.cancelled:
        return []  # the same revision again, or one of an order no longer wanted
    if order_gate.released:
        order_gate.note_late_revision(digest)
        return [
            ev.OrderRevisedAfterRelease(
                order_id=event.order_id, order=event.order, revision=event.revision
            )
        ]
    order_gate.accept_revision(order_gate.sequence + 1, digest)
    return [
        ev.OrderRevisionAccepted(
            order_id=event.order_id,
            order=event.order,
            sequence=order_gate.sequence,
            revision=event.revision,
        )
    ]


def on_paid(
    event: ev.PaymentAuthorized | ev.CashOnDeliveryAccepted, uow: UnitOfWork
) -> Sequence[ev.Event]:
    order_gate = existing(uow, event.order_id)
    if order_gate is None:
        order_gate = opened(uow, ReleaseGate(event.order_id, paid=True))
    elif order_gate.cancelled:
        return []
    elif not order_gate.paid:
        order_gate.note_payment(True)
    return release_if_ready(uow, order_gate)


def on_cancellation_requested(
    event: ev.OrderCancellationRequested, uow: UnitOfWork
) -> Sequence[ev.Event]:
    """An operator asked to cancel. Decided here, in the same write as the shipments'
    statuses, so a cancel racing a carrier's hand-over is answered by what happened first:
    while any goods are with the carrier or the customer, refused (a refund would pay for
    what the customer keeps); else the gate is cancelled for good and the shipments still
    in the warehouse withdrawn. Parcels returned to sender are back on the shelf: they do
    not stand in the way, so an order whose every parcel came back can be cancelled (and
    payment refunds it). An order not heard of yet gets a gate that is cancelled already,
    so its facts, when they come, release nothing."""
    order_gate = existing(uow, event.order_id)
    if order_gate is None:
        order_gate = opened(uow, ReleaseGate(event.order_id))
    elif order_gate.cancelled:
        return []  # asked again: cancelled already
    out_there = order_gate.out_there()
    if out_there:
        return [
            ev.OrderCancellationRefused(
                order_id=event.order_id,
                reason=event.reason,
                requested_by=event.requested_by,
                shipments=out_there,
            )
        ]
    # Every one is planned or packed, or came back: those in the warehouse are withdrawn.
    returned = set(order_gate.left())
    withdrawn = [s for s in order_gate.shipments if s not in returned]
    order_gate.cancel(event.reason, event.requested_by, datetime.now(UTC), withdrawn)
    why = f"order cancelled: {event.reason}"
    return [
        ev.OrderCancelled(
            order_id=event.order_id, reason=event.reason, cancelled_by=event.requested_by
        ),
        *(
            ev.ShipmentWithdrawn(
                order_id=event.order_id,
                shipment_id=shipment_id,
                lines=order_gate.shipment_lines(shipment_id),
                reason=why,
            )
            for shipment_id in withdrawn
        ),
    ]


def release_if_ready(
    uow: UnitOfWork, order_gate: ReleaseGate, shipping: Shipping | None = None
) -> list[ev.Event]:
    """Release once, and plan the shipments in the same write: one ShipmentPlanned per
    shipment is all the release adds (the plan rides on the Released event)."""
    if not order_gate.ready:
        return []
    shipping = shipping or order_gate.shipping
    reserved = order_gate.reserved_lines()
    shipments = plan(order_gate.order_id, shipping, reserved)
    order_gate.release([s.stored() for s in shipments], datetime.now(UTC))
    if shipping is not None:
        remember_channel(uow, shipping.channel)
    return [
        ev.OrderReadyForFulfillment(order_id=order_gate.order_id, lines=reserved),
        *(planned_event(order_gate.order_id, shipping, s) for s in shipments),
    ]


def remember_channel(uow: UnitOfWork, channel: str) -> None:
    registry = uow.get_or_add(ChannelRegistry, ChannelRegistry.ID, ChannelRegistry)
    if channel not in registry.channels:
        registry.add(channel)


def prefetch(message: ev.Event | RawMessage) -> list[uuid.UUID]:
    """The aggregates a message will read, so a batch loads them in one query (the channel
    registry is a cache hit after the first batch)."""
    if not isinstance(message, ev.Event):
        return []
    return [ReleaseGate.create_id(message.order_id), ChannelRegistry.ID]


EVENT_HANDLERS: dict[type[ev.Event], Callable[[Any, UnitOfWork], Sequence[ev.Event]]] = {
    ev.OrderValidated: on_validated,
    ev.OrderValidationFailed: on_validation_failed,
    ev.StockReserved: on_reserved,
    ev.StockReleased: on_stock_released,
    ev.OrderRevised: on_revised,
    ev.PaymentAuthorized: on_paid,
    ev.CashOnDeliveryAccepted: on_paid,
    ev.OrderCancellationRequested: on_cancellation_requested,
    ev.ReshipRequested: on_reship_requested,
    ev.StockReheld: on_stock_reheld,
}
RAW_HANDLERS: dict[str, RawHandler] = {CARRIER_EVENTS.name: on_carrier_update}
