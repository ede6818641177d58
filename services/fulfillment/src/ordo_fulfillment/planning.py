"""Splitting a released order into shipments: one per delivery address and warehouse. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from ordo_events import events as ev
from ordo_events.order import Address, CanonicalOrder, Delivery, OrderLine


class Shipping(BaseModel):
    """What fulfillment keeps of an order: enough to ship, track and refund it. No customer
    contact data: a leaked or mis-shown fulfilment record tells nobody's email or phone."""

    model_config = ConfigDict(frozen=True)
    channel: str
    external_id: str
    currency: str
    market: str | None = None  # None in gates stored before it was kept
    delivery: Delivery
    lines: list[OrderLine]
    invoice_postcode: str | None = None

    @classmethod
    def of(cls, order: CanonicalOrder) -> Shipping:
        invoice = order.invoice.address if order.invoice else None
        return cls(
            channel=order.channel,
            external_id=order.external_id,
            currency=order.currency,
            market=order.market,
            delivery=order.delivery,
            lines=order.lines,
            invoice_postcode=invoice.postcode if invoice else None,
        )

    def stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def destinations(self) -> list[Address | None]:
        """Index 0 is the order's own delivery; then each other line address, first seen first."""
        found: list[Address | None] = [self.delivery.address]
        for line in self.lines:
            if line.delivery_address is not None and line.delivery_address not in found:
                found.append(line.delivery_address)
        return found

    def postcodes(self) -> set[str]:
        """The postcodes that prove an asker knows where the order goes (or is billed, when
        it goes to no address: a parcel locker, a store)."""
        codes = {a.postcode for a in self.destinations() if a is not None}
        if not codes and self.invoice_postcode:
            codes.add(self.invoice_postcode)
        return {normal_postcode(c) for c in codes}

    def unit_price(self, sku: str) -> Decimal:
        """The price the customer paid for a SKU: its first line's (a SKU on two lines at two
        prices refunds at the first)."""
        return next((line.unit_price for line in self.lines if line.sku == sku), Decimal("0"))


def normal_postcode(code: str) -> str:
    """ "00-001", "00001" and " 00 001" are the same postcode to a person typing it."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True)
class PlannedShipment:
    shipment_id: str
    warehouse: str
    destination: int  # an index into Shipping.destinations()
    lines: dict[str, int]
    # A parcel sent again: the returned shipment it replaces, and the corrected address it
    # goes to instead of `destination` when the customer gave one (a courier parcel).
    replaces: str | None = None
    address: Address | None = None

    def stored(self) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "id": self.shipment_id,
            "warehouse": self.warehouse,
            "destination": self.destination,
            "lines": self.lines,
        }
        if self.replaces is not None:
            stored["replaces"] = self.replaces
        if self.address is not None:
            stored["address"] = self.address.model_dump(mode="json", exclude_none=True)
        return stored

    @classmethod
    def of(cls, stored: dict[str, Any]) -> PlannedShipment:
        """A shipment as the gate keeps it (see `stored`)."""
        address = stored.get("address")
        return cls(
            shipment_id=stored["id"],
            warehouse=stored["warehouse"],
            destination=stored["destination"],
            lines=dict(stored["lines"]),
            replaces=stored.get("replaces"),
            address=None if address is None else Address.model_validate(address),
        )


def shipment_id(order_id: str, number: int) -> str:
    # The order id is inside, so a carrier update naming only the shipment finds its order
    # without an index row per shipment on the release path.
    return f"{order_id}-S{number}"


def order_id_of(shipment: str) -> str | None:
    order_id, sep, number = shipment.rpartition("-S")
    return order_id if sep and order_id and number.isdigit() else None


def plan(
    order_id: str, shipping: Shipping | None, reserved: list[ev.ReservedLine]
) -> list[PlannedShipment]:
    """Match what each address wants with what each warehouse reserved, SKU by SKU, in line
    order; group by (address, warehouse) and number the groups in that order. The same order
    and reservation always give the same shipments and ids."""
    wanted: dict[str, list[list[int]]] = {}  # sku -> [[destination, quantity], ...]
    if shipping is not None:
        destinations = shipping.destinations()
        for line in shipping.lines:
            where = destinations.index(line.delivery_address) if line.delivery_address else 0
            wanted.setdefault(line.sku, []).append([where, line.quantity])
    groups: dict[tuple[int, str], dict[str, int]] = {}
    for held in reserved:
        left = held.quantity
        for want in wanted.get(held.sku, []):
            take = min(left, want[1])
            if take:
                group = groups.setdefault((want[0], held.warehouse), {})
                group[held.sku] = group.get(held.sku, 0) + take
                want[1] -= take
                left -= take
        if left:  # reserved beyond what the lines asked: it goes with the order's delivery
            group = groups.setdefault((0, held.warehouse), {})
            group[held.sku] = group.get(held.sku, 0) + left
    return [
        PlannedShipment(shipment_id(order_id, n), warehouse, where, groups[(where, warehouse)])
        for n, (where, warehouse) in enumerate(sorted(groups), start=1)
    ]


def planned_event(
    order_id: str, shipping: Shipping | None, shipment: PlannedShipment
) -> ev.ShipmentPlanned:
    lines = [
        ev.ReservedLine(sku=sku, quantity=qty, warehouse=shipment.warehouse)
        for sku, qty in shipment.lines.items()
    ]
    address: Address | None
    pickup_point: str | None
    collector: str | None
    if shipment.address is not None:  # sent again to a corrected address: a courier parcel
        address, pickup_point, collector = shipment.address, None, None
    elif shipping is None:
        address = pickup_point = collector = None
    elif shipment.destination:  # a line's own address: a courier parcel to it, no pickup
        address = shipping.destinations()[shipment.destination]
        pickup_point = collector = None
    else:
        delivery = shipping.delivery
        address, pickup_point, collector = (
            delivery.address,
            delivery.pickup_point,
            delivery.collector,
        )
    return ev.ShipmentPlanned(
        order_id=order_id,
        shipment_id=shipment.shipment_id,
        warehouse=shipment.warehouse,
        lines=lines,
        address=address,
        pickup_point=pickup_point,
        collector=collector,
        replaces=shipment.replaces,
    )
