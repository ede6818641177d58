"""Sending a parcel that came back to sender again: its units are held for the order once
more, all or nothing, in the warehouse each came back to (StockReheld), so fulfillment can
plan the parcel that replaces it; or, when some were sold or counted away meanwhile, nothing
is held (ReshipShortage) and an operator decides.

The request (ReshipRequested, ordo.tickets) and the parcel's return (ShipmentStatusChanged,
ordo.fulfillment) travel on two topics, so either may reach us first: a request heard before
the return waits in the order's Reservation and is acted on by `put_back`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ordo_events import events as ev
from ordo_inventory.domain import Reservation, Stock, by_warehouse
from ordo_runtime import UnitOfWork


def on_reship_requested(event: ev.ReshipRequested, uow: UnitOfWork) -> Sequence[ev.Event]:
    """Hold the returned parcel's units again, once it is known to be back; once per parcel
    when it succeeded, while after a shortage a later request (the operator restocked and
    asked again) tries again. A cancelled order holds nothing and says nothing. A parcel
    noted as returned before reservations kept its lines cannot be held line by line: it is
    answered with a ReshipShortage whose `missing` is empty, so an operator decides."""
    reservation = uow.get(Reservation, Reservation.create_id(event.order_id))
    if reservation is None or reservation.cancelled or event.shipment_id in reservation.reheld:
        return []  # not an order of ours, cancelled, or held again already
    if event.shipment_id in reservation.sent_back:
        return rehold(uow, reservation, event.shipment_id, event.attempt)
    if reservation.reship_attempts.get(event.shipment_id) != event.attempt:
        reservation.ask_reship(event.shipment_id, event.attempt)
    return []


def rehold_if_asked(uow: UnitOfWork, reservation: Reservation, shipment_id: str) -> list[ev.Event]:
    """A parcel just came back: if it was asked to go again before we knew, hold it now."""
    attempt = reservation.reship_attempts.get(shipment_id)
    if attempt is not None and shipment_id not in reservation.reheld:
        return rehold(uow, reservation, shipment_id, attempt)
    return []


def rehold(
    uow: UnitOfWork, reservation: Reservation, shipment_id: str, attempt: int = 1
) -> list[ev.Event]:
    """Hold what parcel `shipment_id` brought back, each line in the warehouse it came back
    to, or nothing; the answer names the request (`attempt`) it answers. The hold sits beside
    the order's others, so the replacing parcel's departure takes it off like any shipment's
    and a cancellation releases it."""
    if reservation.cancelled or not reservation.reserved:
        return []  # released for good: nothing will go out again
    returned = reservation.came_back_with(shipment_id)
    if returned is None:
        return [
            ev.ReshipShortage(
                order_id=reservation.order_id, shipment_id=shipment_id, missing=[], attempt=attempt
            )
        ]
    needs = by_warehouse(returned)
    stocks = {sku: uow.get(Stock, Stock.create_id(sku)) for sku in needs}
    missing: list[ev.MissingStock] = []
    for sku, parts in needs.items():
        stock = stocks[sku]
        for warehouse, quantity in parts.items():
            free = stock.available(warehouse) if stock else 0
            if free < quantity:
                missing.append(
                    ev.MissingStock(
                        sku=sku, requested=quantity, available=free, warehouse=warehouse
                    )
                )
    if missing:
        return [
            ev.ReshipShortage(
                order_id=reservation.order_id,
                shipment_id=shipment_id,
                missing=missing,
                attempt=attempt,
            )
        ]
    for sku, parts in needs.items():
        stock = stocks[sku]
        assert stock is not None  # it covered the parts
        stock.take(parts)
    if not reservation.settled:
        # A parcel left, so the order was released for fulfilment; should that news still be
        # on its way, no earlier hold of the order may expire and take these units with it.
        reservation.settle("ReshipRequested")
    reservation.rehold(shipment_id, [[s, w, q] for s, w, q in returned])
    lines = [ev.ReservedLine(sku=s, warehouse=w, quantity=q) for s, w, q in returned]
    return [
        ev.StockReheld(
            order_id=reservation.order_id, shipment_id=shipment_id, lines=lines, attempt=attempt
        )
    ]
