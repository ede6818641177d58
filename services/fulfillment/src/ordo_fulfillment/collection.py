"""A pickup collected at the counter: staff record who took the parcel (the customer or a
third person they sent), the identity document they were shown, and their own name. The
shipment becomes delivered with that record on its ShipmentStatusChanged.

Only a pickup (store or parcel point, to the order's own delivery) that has left the
warehouse floor (packed or later) and is not delivered yet can be collected. When the order
named who will collect, anyone else is refused unless staff override it and say why. The
public tracking view never shows any of this.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ordo_events import events as ev
from ordo_events.order import DeliveryMethod
from ordo_fulfillment.domain import WITHDRAWN, ReleaseGate
from ordo_fulfillment.planning import order_id_of
from ordo_fulfillment.returns import NotFoundError, RefusedError
from ordo_runtime import UnitOfWork

PICKUP = frozenset({DeliveryMethod.STORE_PICKUP, DeliveryMethod.PARCEL_LOCKER})
# Packed or on its way to the pickup point: ready to hand over. Not planned (nothing packed
# yet) and not delivered (collected already).
READY = frozenset({"packed", "handed_to_carrier", "in_transit", "delivery_failed"})


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["id_card", "passport", "driving_licence", "residence_permit", "other"]
    # The last characters only: a whole document number is more than the record needs.
    last_digits: str = Field(pattern=r"^[A-Za-z0-9]{3,4}$", description="Last 3-4 characters")


class Collected(BaseModel):
    model_config = ConfigDict(extra="forbid")
    collected_by: str = Field(min_length=1, max_length=200, description="Name on the document")
    document: Document
    relation: Literal["customer", "authorised third party", "family member", "other"]
    override: bool = Field(
        default=False, description="Hand over to someone other than the order's named collector"
    )
    override_reason: str | None = Field(default=None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def override_says_why(self) -> Collected:
        if self.override and not self.override_reason:
            raise ValueError("an override needs override_reason: why someone else may collect")
        return self


def same_person(a: str, b: str) -> bool:
    """Names as staff type them: case, accents and spacing aside."""

    def plain(name: str) -> str:
        folded = unicodedata.normalize("NFKD", name.casefold())
        return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())

    return plain(a) == plain(b)


class RecordCollection:
    """The command behind POST /shipments/{shipment_id}/collected; `recorded_by` is the
    authenticated caller, never the body; `sees` says which markets' orders they work on."""

    def __init__(
        self,
        shipment_id: str,
        body: Collected,
        recorded_by: str,
        sees: Callable[[str | None], bool] = lambda _market: True,
    ):
        self.shipment_id, self.body, self.recorded_by, self.sees = (
            shipment_id,
            body,
            recorded_by,
            sees,
        )

    def __call__(self, uow: UnitOfWork) -> Sequence[ev.Event]:
        gate = self.gate(uow)
        shipment = gate.shipments[self.shipment_id]
        shipping = gate.shipping
        if (
            shipping is None
            or shipping.delivery.method not in PICKUP
            or shipment["destination"]
            or shipment.get("address")  # sent again to a corrected address
        ):
            raise RefusedError(
                f"shipment {self.shipment_id} is not a pickup: it goes to an address,"
                " so the carrier confirms its delivery"
            )
        status = shipment["status"]
        if status == "delivered":
            raise RefusedError(f"shipment {self.shipment_id} was delivered or collected already")
        if status == "returned_to_sender":
            raise RefusedError(
                f"shipment {self.shipment_id} was returned to sender: it is no longer at the"
                " pickup point"
            )
        if status == WITHDRAWN:
            raise RefusedError(
                f"shipment {self.shipment_id} was withdrawn: its order was cancelled, so it"
                " must not be handed over"
            )
        if status not in READY:
            raise RefusedError(
                f"shipment {self.shipment_id} is {status}: not ready for collection yet"
            )
        named = shipping.delivery.collector
        override = None
        if named and not same_person(named, self.body.collected_by):
            if not self.body.override:
                raise RefusedError(
                    "the order names another person as its collector; check the document,"
                    " or record it with override: true and override_reason"
                )
            override = self.body.override_reason
        collection = ev.Collection(
            collector=self.body.collected_by,
            relation=self.body.relation,
            document_type=self.body.document.type,
            document_last_digits=self.body.document.last_digits.upper(),
            recorded_by=self.recorded_by,
            override_reason=override,
        )
        at = datetime.now(UTC)
        gate.record_collection(self.shipment_id, collection.model_dump(), at)
        return [
            ev.ShipmentStatusChanged(
                order_id=gate.order_id,
                shipment_id=self.shipment_id,
                status="delivered",
                carrier=shipment["carrier"],
                tracking_number=shipment["tracking_number"],
                note="collected at the pickup point",
                lines=gate.shipment_lines(self.shipment_id),
                collection=collection,
                time=at,
                replaces=shipment.get("replaces"),
            )
        ]

    def gate(self, uow: UnitOfWork) -> ReleaseGate:
        order_id = order_id_of(self.shipment_id)
        gate = None if order_id is None else uow.get(ReleaseGate, ReleaseGate.create_id(order_id))
        # Another market's shipment answers as a missing one: nothing learnt of it.
        if (
            gate is None
            or self.shipment_id not in gate.shipments
            or not self.sees(gate.shipping.market if gate.shipping else None)
        ):
            raise NotFoundError(f"no shipment {self.shipment_id}")
        return gate
