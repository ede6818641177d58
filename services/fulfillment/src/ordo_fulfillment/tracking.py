"""The public tracking view: an order's shipments and their timeline, for whoever knows the
order number and a postcode it goes to. Nothing about the customer (no name, email, phone or
address) is shown, and an order that exists but was not proven looks exactly like one that
does not, so the endpoint cannot be used to find out which order numbers exist."""

from __future__ import annotations

import hmac
from typing import Any

from ordo_events import events as ev
from ordo_events.order import order_id_for
from ordo_events.state import parcels_status
from ordo_fulfillment.domain import RETURNED, ChannelRegistry, ReleaseGate
from ordo_fulfillment.planning import normal_postcode
from ordo_runtime.store import ServiceApplication

NOT_FOUND = "no order with this number and postcode"


def candidates(order_number: str, channels: list[str]) -> list[str]:
    """Order ids the number may stand for: itself, or a channel's order number (ids derive
    from channel and number, so each channel gives one candidate)."""
    return [order_number, *(order_id_for(channel, order_number) for channel in channels)]


def proves(gate: ReleaseGate, postcode: str) -> bool:
    shipping = gate.shipping
    if shipping is None or not postcode:
        return False
    given = normal_postcode(postcode).encode()
    # A parcel sent again to a corrected address: its postcode is one the customer knows too.
    codes = shipping.postcodes() | {
        normal_postcode(s["address"]["postcode"])
        for s in gate.shipments.values()
        if s.get("address")
    }
    # Compared in constant time, every code: the answer's timing tells nothing either.
    matches = [hmac.compare_digest(given, code.encode()) for code in sorted(codes)]
    return any(matches)


def overall(statuses: list[str], cancelled: bool = False) -> str:
    if cancelled:
        # What the customer can still follow: a parcel handed over despite the withdrawal.
        # One that came back is on the shelf again, as those withdrawn.
        statuses = [s for s in statuses if s in ev.LEFT_WAREHOUSE and s != RETURNED]
        if not statuses:
            return "cancelled"
    parcels = parcels_status(statuses)  # None while no goods left the warehouse
    if parcels is not None:
        return parcels.value
    return "preparing" if statuses else "processing"


def view(gate: ReleaseGate) -> dict[str, Any]:
    """Every shipment, a parcel that came back and was sent again included (marked with the
    shipment that `replaced_by` it, as that one names what it `replaces`), so the customer
    sees why a second parcel comes. The order's status comes from the live parcels only: a
    replacement delivered makes it delivered, not returned to sender."""
    shipping = gate.shipping
    shipments = [
        {
            "shipment_id": shipment_id,
            "status": shipment["status"],
            "carrier": shipment["carrier"],
            "tracking_number": shipment["tracking_number"],
            "items": sum(shipment["lines"].values()),
            "replaces": shipment.get("replaces"),
            "replaced_by": shipment.get("replaced_by"),
            "timeline": [
                {"status": step["status"], "time": step["time"]} for step in shipment["history"]
            ],
        }
        for shipment_id, shipment in gate.shipments.items()
    ]
    live = [shipment["status"] for shipment in gate.live().values()]
    return {
        "order_number": shipping.external_id if shipping else gate.order_id,
        "status": overall(live, gate.cancelled),
        "shipments": shipments,
    }


def track(app: ServiceApplication, order_number: str, postcode: str) -> dict[str, Any] | None:
    """The view of the order `order_number` names, if `postcode` proves the asker knows it.
    Reads past the aggregate cache: another replica may have written since it was filled."""
    app.forget([ChannelRegistry.ID])
    registry = app.get(ChannelRegistry, ChannelRegistry.ID)
    ids = [
        ReleaseGate.create_id(o)
        for o in candidates(order_number, registry.channels if registry else [])
    ]
    app.forget(ids)
    for gate_id in ids:
        gate = app.get(ReleaseGate, gate_id)
        if gate is not None and proves(gate, postcode):
            return view(gate)
    return None
