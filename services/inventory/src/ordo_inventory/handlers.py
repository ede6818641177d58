"""Inventory's handlers: reserve stock for validated orders (again when a revision changed
their lines), release it when the order is cancelled or its payment fails, settle it once
paid, take it off the shelf when its shipment leaves, restock returns and parcels the
carrier brought back, and hold a returned parcel's units again to send it again (reship)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ordo_events import events as ev
from ordo_inventory.domain import (
    DEFAULT_WAREHOUSE,
    Reservation,
    Stock,
    allocate,
    as_utc,
    by_warehouse,
    total_available,
    wanted,
)
from ordo_inventory.reship import on_reship_requested, rehold_if_asked
from ordo_inventory.settings import SETTINGS
from ordo_inventory.sync import RAW_HANDLERS, apply_count
from ordo_runtime import RawMessage, UnitOfWork

# Releases after which a later payment takes the stock again (a cancellation never does).
RETAKEN_AFTER = ("payment_failed", "expired")


def on_order_validated(event: ev.OrderValidated, uow: UnitOfWork) -> Sequence[ev.Event]:
    reservation = reservation_of(uow, event.order_id)
    if reservation.cancelled:
        return []
    needs = wanted((ln.sku, ln.quantity) for ln in event.order.lines)
    channel = event.order.channel
    if not reservation.reserved:
        return reserve(uow, reservation, needs, channel)
    if needs == reservation.lines:
        return []  # already holding exactly this: a repeat, or a revision that kept the lines
    # A revision the release gate accepted changed the lines (verdicts of a version since
    # replaced never come after it: validation emits them in order on the order's
    # partition). Give back the old version's holds first, so the new lines may use them.
    return [*release(uow, reservation, "revised"), *reserve(uow, reservation, needs, channel)]


def reserve(
    uow: UnitOfWork,
    reservation: Reservation,
    needs: Mapping[str, int],
    channel: str | None = None,
) -> list[ev.Event]:
    """All lines or none; each line from the first preferred warehouse that covers it, else
    split across warehouses. `channel` (the order's; the one held before when not given)
    sets how long an unpaid hold lasts."""
    stocks = {sku: uow.get(Stock, Stock.create_id(sku)) for sku in needs}
    plan: dict[str, dict[str, int]] = {}
    missing: list[ev.MissingStock] = []
    for sku, quantity in needs.items():
        stock = stocks[sku]
        parts = allocate(stock, quantity, SETTINGS.preference) if stock else None
        if parts is None:
            free = total_available(stock, SETTINGS.preference)
            missing.append(ev.MissingStock(sku=sku, requested=quantity, available=free))
        else:
            plan[sku] = parts
    if missing:
        reservation.fall_short({m.sku: [m.requested, m.available] for m in missing}, dict(needs))
        return [ev.StockShortage(order_id=reservation.order_id, missing=missing)]
    holds: list[list[str | int]] = []
    for sku, parts in plan.items():
        stock = stocks[sku]
        assert stock is not None
        stock.take(parts)
        holds += [[sku, warehouse, quantity] for warehouse, quantity in parts.items()]
    number = reservation.times_held + 1
    reservation.hold(
        dict(needs), holds, number, not reservation.settled, channel or reservation.channel
    )
    lines = [ev.ReservedLine(sku=str(s), warehouse=str(w), quantity=int(q)) for s, w, q in holds]
    return [ev.StockReserved(order_id=reservation.order_id, lines=lines)]


def release(uow: UnitOfWork, reservation: Reservation, reason: str) -> list[ev.Event]:
    """Give back what the order holds, if anything; StockReleased says why. Said also when
    nothing is held any more (every unit left with its shipments, or came back to the shelf
    with a parcel returned to sender): the reservation ends all the same, and the order's
    state, rebuilt from the log, must say so."""
    if not reservation.reserved:
        return []
    held = reservation.held
    if not held:
        reservation.release(reason)
        return [ev.StockReleased(order_id=reservation.order_id, lines=[], reason=reason)]
    for sku, parts in by_warehouse(held).items():
        stock = uow.get(Stock, Stock.create_id(sku))
        if stock is not None:
            stock.free(parts)
    reservation.release(reason)
    lines = [ev.ReservedLine(sku=s, warehouse=w, quantity=q) for s, w, q in held]
    return [ev.StockReleased(order_id=reservation.order_id, lines=lines, reason=reason)]


def on_order_cancelled(event: ev.OrderCancelled, uow: UnitOfWork) -> Sequence[ev.Event]:
    reservation = reservation_of(uow, event.order_id)
    if reservation.cancelled:
        return []
    reservation.cancel()  # also when nothing is held yet: a later validation reserves nothing
    return release(uow, reservation, "cancelled")


def on_payment_failed(event: ev.PaymentFailed, uow: UnitOfWork) -> Sequence[ev.Event]:
    reservation = uow.get(Reservation, Reservation.create_id(event.order_id))
    if reservation is None or reservation.settled:
        return []
    return release(uow, reservation, "payment_failed")


def on_paid(
    event: ev.PaymentAuthorized | ev.CashOnDeliveryAccepted, uow: UnitOfWork
) -> Sequence[ev.Event]:
    """Paid or cash on delivery: the reservation no longer expires. Stock given back because
    the payment failed or was late is taken again."""
    why = type(event).__name__
    found = uow.get(Reservation, Reservation.create_id(event.order_id))
    if found is None:
        uow.add(Reservation(event.order_id, settled_by=why))  # paid before it was validated
        return []
    if not found.settled:
        found.settle(why)
    if found.released_for in RETAKEN_AFTER and not found.cancelled and found.lines:
        return reserve(uow, found, found.lines)
    return []


def on_ready_for_fulfillment(
    event: ev.OrderReadyForFulfillment, uow: UnitOfWork
) -> Sequence[ev.Event]:
    reservation = uow.get(Reservation, Reservation.create_id(event.order_id))
    if reservation is not None and not reservation.settled:
        reservation.settle("OrderReadyForFulfillment")
    return []


def on_return_received(event: ev.ReturnReceived, uow: UnitOfWork) -> Sequence[ev.Event]:
    """Returned units go back on hand in the warehouse they came back to, once per return."""
    reservation = reservation_of(uow, event.order_id)
    if event.return_id in reservation.returns:
        return []
    for line in event.lines:
        stock = uow.get(Stock, Stock.create_id(line.sku))
        if stock is None:
            stock = Stock(line.sku, 0, line.warehouse)
            uow.add(stock)
        stock.restock(line.warehouse, line.quantity)
    reservation.note_return(event.return_id)
    return [ev.StockReleased(order_id=event.order_id, lines=event.lines, reason="returned")]


def on_shipment_status(event: ev.ShipmentStatusChanged, uow: UnitOfWork) -> Sequence[ev.Event]:
    """A shipment left the warehouse (see `take_off_shelf`) and, returned to sender, came
    back (see `put_back`)."""
    if event.status not in ev.LEFT_WAREHOUSE or not event.lines:
        return []  # not gone yet, or published before shipments named their lines
    reservation = uow.get(Reservation, Reservation.create_id(event.order_id))
    if reservation is None:
        return []  # no order of ours
    # Neither can have happened after we heard of it: a carrier's clock running ahead must
    # not put it after a count taken meanwhile.
    at = None if event.time is None else min(as_utc(event.time), datetime.now(UTC))
    out: list[ev.Event] = []
    if event.shipment_id not in reservation.shipments:
        out += take_off_shelf(event, uow, reservation, at)
    if event.status == "returned_to_sender" and event.shipment_id not in reservation.sent_back:
        out += put_back(event, uow, reservation, at)
    return out


def take_off_shelf(
    event: ev.ShipmentStatusChanged, uow: UnitOfWork, reservation: Reservation, at: datetime | None
) -> list[ev.Event]:
    """The shipment's units left the warehouse: off the shelf and off the order's hold, once
    per shipment, at whichever status first says they left (a carrier may skip the
    hand-over and report in transit or delivered first). Without this an absolute count,
    which no longer finds them, would be short by what is still held for them."""
    taken: list[list[str | int]] = []
    for line in event.lines:
        held = min(line.quantity, reservation.held_of(line.sku, line.warehouse))
        stock = uow.get(Stock, Stock.create_id(line.sku))
        if stock is None:  # held stock always has one; a released order's may not
            stock = Stock(line.sku, 0, line.warehouse)
            uow.add(stock)
        stock.ship(line.warehouse, line.quantity, held, at)
        taken.append([line.sku, line.warehouse, held])
    reservation.ship(event.shipment_id, taken)
    return [
        ev.StockShipped(order_id=event.order_id, shipment_id=event.shipment_id, lines=event.lines)
    ]


def put_back(
    event: ev.ShipmentStatusChanged, uow: UnitOfWork, reservation: Reservation, at: datetime | None
) -> list[ev.Event]:
    """The carrier brought the parcel back undelivered: its units are on hand again in the
    warehouse that shipped them, once per shipment. Nothing is held for them unless the
    operator asks for the parcel to go again (ReshipRequested), so its lines are kept; if
    that request came first, they are held again now."""
    for line in event.lines:
        stock = uow.get(Stock, Stock.create_id(line.sku))
        if stock is None:  # taken off the shelf before, so there is one
            stock = Stock(line.sku, 0, line.warehouse)
            uow.add(stock)
        stock.restock(line.warehouse, line.quantity, at)
    came_back: list[list[str | int]] = [[ln.sku, ln.warehouse, ln.quantity] for ln in event.lines]
    reservation.note_sent_back(event.shipment_id, came_back)
    return [
        ev.StockRestocked(
            order_id=event.order_id, shipment_id=event.shipment_id, lines=event.lines
        ),
        *rehold_if_asked(uow, reservation, event.shipment_id),
    ]


def reservation_of(uow: UnitOfWork, order_id: str) -> Reservation:
    return uow.get_or_add(
        Reservation, Reservation.create_id(order_id), lambda: Reservation(order_id)
    )


def set_stock_level(
    sku: str,
    on_hand: int,
    warehouse: str = DEFAULT_WAREHOUSE,
    by: str | None = None,
    at: datetime | None = None,
) -> Callable[[UnitOfWork], Sequence[ev.Event]]:
    """The command behind PUT /stock/{sku}[/{warehouse}]: an absolute count, taken at `at`
    (now when not said). Reservations stay; a count below them leaves nothing available
    and shows as a shortfall. A count older than what the stock knows raises
    StaleCountError."""

    def command(uow: UnitOfWork) -> Sequence[ev.Event]:
        apply_count(uow, sku, warehouse, on_hand, at, by)
        return []

    return command


def touched(message: ev.Event | RawMessage) -> list[uuid.UUID]:
    """The aggregates a message will read, so a batch loads them in one query. A
    ReshipRequested reads stock of SKUs only its reservation knows: the reservation alone."""
    if isinstance(message, RawMessage):
        return []
    ids = [Reservation.create_id(message.order_id)]
    if isinstance(message, ev.OrderValidated):
        ids += [Stock.create_id(sku) for sku in {line.sku for line in message.order.lines}]
    elif isinstance(message, ev.ReturnReceived) or (
        isinstance(message, ev.ShipmentStatusChanged) and message.status in ev.LEFT_WAREHOUSE
    ):
        ids += [Stock.create_id(sku) for sku in {line.sku for line in message.lines}]
    return ids


EVENT_HANDLERS: dict[type[ev.Event], Callable[[Any, UnitOfWork], Sequence[ev.Event]]] = {
    ev.OrderValidated: on_order_validated,
    ev.OrderCancelled: on_order_cancelled,
    ev.PaymentFailed: on_payment_failed,
    ev.PaymentAuthorized: on_paid,
    ev.CashOnDeliveryAccepted: on_paid,
    ev.OrderReadyForFulfillment: on_ready_for_fulfillment,
    ev.ReturnReceived: on_return_received,
    ev.ShipmentStatusChanged: on_shipment_status,
    ev.ReshipRequested: on_reship_requested,
}

__all__ = ["EVENT_HANDLERS", "RAW_HANDLERS", "set_stock_level", "touched"]
