"""Sending a parcel that came back to sender again. Two facts send it, on two topics and so
in either order: an operator's ReshipRequested (ticketing: where to, when corrected) and
inventory's StockReheld (its units are held for the order again). The gate notes whichever
comes first and, in the write that notes the second, plans a new shipment replacing the
returned one (ShipmentPlanned with `replaces`). A fact about a parcel that cannot be sent
again (the order was cancelled, the shipment is unknown, did not come back, or was sent
again already, as on a redelivery) writes and emits nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ordo_events import events as ev
from ordo_events.order import Address
from ordo_fulfillment.domain import ReleaseGate
from ordo_fulfillment.planning import PlannedShipment, planned_event, shipment_id
from ordo_runtime import UnitOfWork


def returned_gate(uow: UnitOfWork, order_id: str, returned: str) -> ReleaseGate | None:
    """The order's gate, if the parcel `returned` can be sent again: no gate is opened."""
    gate = uow.get(ReleaseGate, ReleaseGate.create_id(order_id))
    return gate if gate is not None and gate.can_send_again(returned) else None


def on_reship_requested(event: ev.ReshipRequested, uow: UnitOfWork) -> Sequence[ev.Event]:
    """An operator's request (numbered: after a shortage the next may name another address):
    the parcel goes once the stock held for this same request is, to this request's address."""
    gate = returned_gate(uow, event.order_id, event.shipment_id)
    if gate is None:
        return []
    noted = gate.reships.get(event.shipment_id, {})
    if noted.get("reheld") == event.attempt:
        return [send_again(gate, event.shipment_id, event.address)]
    if str(event.attempt) in noted.get("requests", {}):
        return []  # the same request again
    address = None if event.address is None else event.address.model_dump(mode="json")
    gate.note_reship_request(event.shipment_id, address, event.attempt)
    return []


def on_stock_reheld(event: ev.StockReheld, uow: UnitOfWork) -> Sequence[ev.Event]:
    """Inventory held the units for request number `attempt`: the parcel goes if that request
    is here. Held for a later request than the one noted (the operator asked again after a
    shortage, and inventory answered before the new request reached us: two topics), it waits
    for that request and its address, never an earlier one's."""
    gate = returned_gate(uow, event.order_id, event.shipment_id)
    if gate is None:
        return []
    noted = gate.reships.get(event.shipment_id, {})
    requests = noted.get("requests", {})
    if str(event.attempt) in requests:
        address = requests[str(event.attempt)]
        where = None if address is None else Address.model_validate(address)
        return [send_again(gate, event.shipment_id, where)]
    if noted.get("reheld") == event.attempt:
        return []  # the same answer again
    gate.note_stock_reheld(event.shipment_id, event.attempt)
    return []


def send_again(gate: ReleaseGate, returned: str, address: Address | None) -> ev.ShipmentPlanned:
    """Plan the parcel that replaces `returned`: the next shipment number, the same warehouse
    and lines, to `address` when the customer corrected it, else where `returned` went (a
    parcel that was itself sent to a corrected address keeps that address)."""
    old = PlannedShipment.of(gate.shipments[returned])
    new = PlannedShipment(
        shipment_id=shipment_id(gate.order_id, len(gate.shipments) + 1),
        warehouse=old.warehouse,
        destination=old.destination,
        lines=old.lines,
        replaces=returned,
        address=address or old.address,
    )
    gate.send_again(new.stored(), datetime.now(UTC))
    return planned_event(gate.order_id, gate.shipping, new)
