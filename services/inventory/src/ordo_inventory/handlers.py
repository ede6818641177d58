"""Inventory's handlers: reserve stock for validated orders, or report the shortage."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from ordo_events import events as ev
from ordo_inventory.domain import Reservation, Stock, wanted
from ordo_runtime import RawMessage, UnitOfWork


def on_order_validated(event: ev.OrderValidated, uow: UnitOfWork) -> Sequence[ev.Event]:
    reservation = uow.get(Reservation, Reservation.create_id(event.order_id))
    if reservation is None:
        reservation = Reservation(event.order_id)
        uow.add(reservation)
    elif reservation.reserved:
        return []  # already holding stock for this order
    needs = wanted([(line.sku, line.quantity) for line in event.order.lines])
    stocks = {sku: uow.get(Stock, Stock.create_id(sku)) for sku in needs}
    missing = [
        ev.MissingStock(sku=sku, requested=qty, available=max(0, s.available if s else 0))
        for sku, qty in needs.items()
        if (s := stocks[sku]) is None or s.available < qty
    ]
    if missing:
        reservation.fall_short({m.sku: [m.requested, m.available] for m in missing})
        return [ev.StockShortage(order_id=event.order_id, missing=missing)]
    for sku, qty in needs.items():
        stock = stocks[sku]
        assert stock is not None
        stock.reserve(event.order_id, qty)
    reservation.hold(needs)
    lines = [ev.ReservedLine(sku=sku, quantity=qty) for sku, qty in needs.items()]
    return [ev.StockReserved(order_id=event.order_id, lines=lines)]


def set_stock_level(sku: str, on_hand: int) -> Callable[[UnitOfWork], Sequence[ev.Event]]:
    """The command behind PUT /stock/{sku}: an absolute count from the warehouse."""

    def command(uow: UnitOfWork) -> Sequence[ev.Event]:
        stock = uow.get(Stock, Stock.create_id(sku))
        if stock is None:
            uow.add(Stock(sku, on_hand))
        elif stock.on_hand != on_hand:
            stock.set_level(on_hand)
        return []

    return command


def touched(message: ev.Event | RawMessage) -> list[uuid.UUID]:
    """The aggregates a message will read, so a batch loads them in one query."""
    if not isinstance(message, ev.OrderValidated):
        return []
    skus = {line.sku for line in message.order.lines}
    return [Reservation.create_id(message.order_id), *(Stock.create_id(sku) for sku in skus)]


EVENT_HANDLERS: dict[type[ev.Event], Callable[[Any, UnitOfWork], Sequence[ev.Event]]] = {
    ev.OrderValidated: on_order_validated,
}
