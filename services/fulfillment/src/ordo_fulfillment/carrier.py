"""Carrier status updates: raw JSON on ordo.carrier.events, turned into ShipmentStatusChanged.

A carrier resends, and its updates overtake each other. A repeat of the current status, or a
status older than the current one (in transit after delivered, packed after handed over), is
dropped without an event. What cannot be right is refused, which dead-letters the record with
the reason: bad JSON, no such shipment, a status that contradicts the record (delivery failed
or returned to sender after delivered, delivered after returned to sender, returned to sender
before the parcel left the warehouse). A shipment withdrawn because its order was cancelled
still takes a status that says it left: the goods are gone, and someone must know.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ordo_events import events as ev
from ordo_fulfillment.domain import WITHDRAWN, Ref, ReleaseGate
from ordo_fulfillment.planning import order_id_of
from ordo_runtime import RawMessage, UnitOfWork

CarrierStatus = Literal[
    "packed",
    "handed_to_carrier",
    "in_transit",
    "delivered",
    "delivery_failed",
    "returned_to_sender",
]
RANK = {
    "planned": 0,
    "packed": 1,
    "handed_to_carrier": 2,
    "in_transit": 3,
    "delivery_failed": 3,  # a failed attempt sits with in transit: either may follow the other
    "delivered": 4,
    "returned_to_sender": 4,  # final, as delivered: the two exclude each other
}


class CarrierUpdate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    shipment_id: str | None = None
    tracking_number: str | None = None
    status: CarrierStatus
    carrier: str | None = None
    time: datetime
    note: str | None = None

    @model_validator(mode="after")
    def names_a_shipment(self) -> CarrierUpdate:
        if not self.shipment_id and not self.tracking_number:
            raise ValueError("names no shipment: give shipment_id or tracking_number")
        if self.time.tzinfo is None:  # a carrier that omits the zone means UTC
            return self.model_copy(update={"time": self.time.replace(tzinfo=UTC)})
        return self


class CarrierUpdateRefusedError(Exception):
    """A carrier update that cannot be applied; the message is the dead letter's reason."""


class Verdict(Enum):
    APPLY = "apply"
    REPEAT = "repeat"  # the current status again
    STALE = "stale"  # older than what the shipment already shows


def judge(current: str, since: datetime | None, status: str, at: datetime) -> Verdict:
    """What to do with `status` at `at` for a shipment that is `current` since `since`."""
    if current == WITHDRAWN:
        # Its order was cancelled, but the warehouse handed it over anyway: that departure
        # is recorded (ticketing asks an operator to get the parcel back). Packing it is
        # news of nothing: the withdrawal stands.
        return Verdict.APPLY if status in ev.LEFT_WAREHOUSE else Verdict.STALE
    if status == current:
        return Verdict.REPEAT
    if current == "delivered" and status in ("delivery_failed", "returned_to_sender"):
        raise CarrierUpdateRefusedError(
            f"{status} after delivered: the carrier contradicts its own delivery"
        )
    if current == "returned_to_sender" and status == "delivered":
        raise CarrierUpdateRefusedError(
            "delivered after returned_to_sender: the parcel is back with the sender"
        )
    if status == "returned_to_sender" and current not in ev.LEFT_WAREHOUSE:
        # A carrier cannot bring back what it never took: more likely its hand-over is yet
        # to come, or it names the wrong shipment. Someone looks before stock moves.
        raise CarrierUpdateRefusedError(
            f"returned_to_sender while the shipment is {current}: it never left the warehouse"
        )
    # The carrier's clock orders its own updates; the planned time is ours, so not compared.
    if current != "planned" and since is not None and at < since:
        return Verdict.STALE
    return Verdict.STALE if RANK[status] < RANK[current] else Verdict.APPLY


def parse(message: RawMessage) -> CarrierUpdate:
    try:
        return CarrierUpdate.model_validate_json(message.value or b"")
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise CarrierUpdateRefusedError(f"not a carrier update: {problems}") from None


def on_carrier_update(message: RawMessage, uow: UnitOfWork) -> Sequence[ev.Event]:
    update = parse(message)
    shipment_id = update.shipment_id or find_by_tracking(uow, update.tracking_number or "")
    order_id = order_id_of(shipment_id)
    gate = None if order_id is None else uow.get(ReleaseGate, ReleaseGate.create_id(order_id))
    if gate is None or order_id is None or shipment_id not in gate.shipments:
        raise CarrierUpdateRefusedError(f"no shipment {shipment_id!r}")
    shipment = gate.shipments[shipment_id]
    tracking = update.tracking_number
    if tracking and not shipment["tracking_number"]:
        uow.get_or_add(
            Ref,
            Ref.create_id("tracking", tracking),
            lambda: Ref("tracking", tracking, order_id, shipment_id),
        )
    verdict = judge(shipment["status"], shipment["time"], update.status, update.time)
    if verdict is not Verdict.APPLY:
        return []
    gate.record_status(shipment_id, update.status, update.time, update.carrier, tracking)
    return [
        ev.ShipmentStatusChanged(
            order_id=order_id,
            shipment_id=shipment_id,
            status=update.status,
            carrier=gate.shipments[shipment_id]["carrier"],
            tracking_number=gate.shipments[shipment_id]["tracking_number"],
            note=update.note,
            lines=gate.shipment_lines(shipment_id),
            time=update.time,
            replaces=gate.shipments[shipment_id].get("replaces"),
        )
    ]


def find_by_tracking(uow: UnitOfWork, tracking_number: str) -> str:
    ref = uow.get(Ref, Ref.create_id("tracking", tracking_number))
    if ref is None:
        raise CarrierUpdateRefusedError(
            f"no shipment with tracking number {tracking_number!r}: the first update for a"
            " shipment must name its shipment_id"
        )
    return ref.target
