"""An order's fulfilment, one aggregate per order: the release gate (an order goes to the
warehouse once, when validated, reserved and paid), then its shipments' carrier statuses, its
returns and its complaints. One aggregate, so releasing and planning shipments adds no read
and no aggregate on the hot path."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from ordo_events import events as ev
from ordo_fulfillment.planning import Shipping
from ordo_runtime.ids import stable_id

NAMESPACE = uuid.UUID("3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b")
Lines = list[dict[str, Any]]  # ReservedLine dumps: sku, quantity, warehouse
# A shipment's status once its order was cancelled before it left (ShipmentWithdrawn).
WITHDRAWN = "withdrawn"
RETURNED = "returned_to_sender"


def as_lines(reserved: dict[str, int] | Lines | None) -> Lines | None:
    # Gates stored before warehouses were kept hold {sku: quantity}: all from "main".
    if isinstance(reserved, dict):
        return [{"sku": s, "quantity": q, "warehouse": "main"} for s, q in reserved.items()]
    return reserved


class ReleaseGate(Aggregate):
    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return stable_id(NAMESPACE, order_id)

    @event("Opened")
    def __init__(
        self,
        order_id: str,
        validated: bool = False,
        reserved: dict[str, int] | Lines | None = None,
        paid: bool = False,
        order: dict[str, Any] | None = None,
    ):
        # Opened by whichever fact arrives first, holding it: one event instead of two.
        self.order_id = order_id
        self.validated = validated
        self.reserved = as_lines(reserved)
        self.paid = paid
        self.order = order  # a Shipping dump, from the validated order
        self.released = False
        self.released_at: datetime | None = None
        self.shipments: dict[str, dict[str, Any]] = {}
        self.returns: dict[str, dict[str, Any]] = {}
        self.complaints = 0
        # Idempotency-Key -> the complaint it filed and the request's fingerprint
        self.complaint_keys: dict[str, dict[str, str | None]] = {}
        self.sequence = 0  # accepted versions of the order: a verdict must name the latest
        self.revised: str | None = None  # digest of the last revision seen, to drop repeats
        self.cancelled = False  # for good: a cancelled order is never released
        self.cancellation: dict[str, Any] | None = None  # reason, by, at
        # Parcels back with the sender that are to be sent again, by the returned shipment's
        # id: what has come of the two facts that send it (see reship.py) until both have.
        self.reships: dict[str, dict[str, Any]] = {}

    @event("VerdictNoted")
    def note_verdict(self, validated: bool, order: dict[str, Any] | None = None) -> None:
        self.validated = validated
        if order is not None:
            self.order = order

    @event("ReservationNoted")
    def note_reservation(self, lines: dict[str, int] | Lines) -> None:
        self.reserved = as_lines(lines)

    @event("ReservationDropped")
    def drop_reservation(self) -> None:
        self.reserved = None

    @event("PaymentNoted")
    def note_payment(self, paid: bool) -> None:
        self.paid = paid

    @event("RevisionAccepted")
    def accept_revision(self, sequence: int, digest: str) -> None:
        # The verdict was about the version replaced: wait for the new version's. The
        # reservation stays; `ready` checks it holds what the new version orders.
        self.sequence, self.revised, self.validated = sequence, digest, False

    @event("RevisedAfterRelease")
    def note_late_revision(self, digest: str) -> None:
        self.revised = digest

    @event("Cancelled")
    def cancel(self, reason: str, by: str, at: datetime, withdrawn: list[str]) -> None:
        """Cancelled before any goods left: the shipments not yet handed over (`withdrawn`,
        as decided) stop, and nothing releases the order again."""
        self.cancelled = True
        self.cancellation = {"reason": reason, "by": by, "at": at}
        for shipment_id in withdrawn:
            shipment = self.shipments[shipment_id]
            shipment["status"], shipment["time"] = WITHDRAWN, at
            shipment["history"] = [*shipment["history"], {"status": WITHDRAWN, "time": at}]

    @event("ReshipRequestNoted")
    def note_reship_request(
        self, shipment_id: str, address: dict[str, Any] | None, attempt: int = 1
    ) -> None:
        """Request number `attempt` to send `shipment_id` again, to `address` (None: where
        it went), waiting for the stock inventory holds for that same request."""
        before = self.reships.get(shipment_id, {})
        requests = {**before.get("requests", {}), str(attempt): address}
        self.reships[shipment_id] = {**before, "requests": requests}

    @event("StockReheldNoted")
    def note_stock_reheld(self, shipment_id: str, attempt: int = 1) -> None:
        """The stock for request number `attempt` is held, before that request reached us."""
        self.reships[shipment_id] = {**self.reships.get(shipment_id, {}), "reheld": attempt}

    @event("SentAgain")
    def send_again(self, shipment: dict[str, Any], at: datetime) -> None:
        """A new shipment (`shipment`, stored as planned, naming the one it `replaces`) takes
        the place of a parcel that came back: from now on that one is done."""
        old = shipment["replaces"]
        self.shipments[old] = {**self.shipments[old], "replaced_by": shipment["id"]}
        self.shipments[shipment["id"]] = planned(shipment, at)
        self.reships = {k: v for k, v in self.reships.items() if k != old}

    def can_send_again(self, shipment_id: str) -> bool:
        """Only a parcel of an order still wanted, that came back to sender and was not sent
        again already, is sent again."""
        shipment = self.shipments.get(shipment_id)
        return (
            not self.cancelled
            and shipment is not None
            and shipment["status"] == RETURNED
            and not replaced(shipment)
        )

    def live(self) -> dict[str, dict[str, Any]]:
        """The shipments that stand for the order's goods: all but those replaced by a parcel
        sent again in their place."""
        return {s: shipment for s, shipment in self.shipments.items() if not replaced(shipment)}

    def left(self) -> list[str]:
        """The shipments whose goods left the warehouse."""
        return [
            s for s, shipment in self.shipments.items() if shipment["status"] in ev.LEFT_WAREHOUSE
        ]

    def out_there(self) -> list[str]:
        """The shipments whose goods are with the carrier or the customer: those that left
        and did not come back (returned to sender, they are on the shelf again)."""
        return [s for s in self.left() if self.shipments[s]["status"] != RETURNED]

    @property
    def ready(self) -> bool:
        return (
            not self.cancelled
            and self.validated
            and self.paid
            and not self.released
            and self.reserved is not None
            and self.holds_what_is_ordered()
        )

    def holds_what_is_ordered(self) -> bool:
        """The reservation holds, per SKU, what the validated version orders: a reservation
        of a version since replaced never releases the new one."""
        shipping = self.shipping
        if shipping is None:
            return True  # a gate stored before the order was kept has nothing to compare
        held: dict[str, int] = {}
        for line in self.reserved or []:
            held[line["sku"]] = held.get(line["sku"], 0) + int(line["quantity"])
        ordered: dict[str, int] = {}
        for ordered_line in shipping.lines:
            ordered[ordered_line.sku] = ordered.get(ordered_line.sku, 0) + ordered_line.quantity
        return held == ordered

    @property
    def shipping(self) -> Shipping | None:
        return None if self.order is None else Shipping.model_validate(self.order)

    def reserved_lines(self) -> list[ev.ReservedLine]:
        return [ev.ReservedLine.model_validate(line) for line in self.reserved or []]

    @event("Released")
    def release(
        self, shipments: list[dict[str, Any]] | None = None, at: datetime | None = None
    ) -> None:
        # The plan is stored as decided, so a later change to planning never rewrites history.
        self.released = True
        self.released_at = at
        for shipment in shipments or []:
            self.shipments[shipment["id"]] = planned(shipment, at)

    @event("StatusRecorded")
    def record_status(
        self,
        shipment_id: str,
        status: str,
        time: datetime,
        carrier: str | None = None,
        tracking_number: str | None = None,
    ) -> None:
        shipment = self.shipments[shipment_id]
        shipment["status"], shipment["time"] = status, time
        shipment["history"] = [*shipment["history"], {"status": status, "time": time}]
        shipment["carrier"] = carrier or shipment["carrier"]
        shipment["tracking_number"] = tracking_number or shipment["tracking_number"]

    @event("CollectionRecorded")
    def record_collection(self, shipment_id: str, collection: dict[str, Any], at: datetime) -> None:
        """A pickup handed over at the counter: delivered, and to whom (kept off /track)."""
        shipment = self.shipments[shipment_id]
        shipment["status"], shipment["time"] = "delivered", at
        shipment["history"] = [*shipment["history"], {"status": "delivered", "time": at}]
        shipment["collection"] = collection

    def shipment_lines(self, shipment_id: str) -> list[ev.ReservedLine]:
        shipment = self.shipments[shipment_id]
        return [
            ev.ReservedLine(sku=sku, quantity=quantity, warehouse=shipment["warehouse"])
            for sku, quantity in shipment["lines"].items()
        ]

    @event("ReturnRequested")
    def request_return(
        self,
        return_id: str,
        lines: dict[str, int],
        reason: str,
        by: str,
        at: datetime,
        key: str | None = None,
        fingerprint: str | None = None,
    ) -> None:
        # The request's Idempotency-Key and body fingerprint are kept with the return itself,
        # in the same write, so a retry finds them whatever happened to the first response.
        self.returns[return_id] = {
            "lines": lines,
            "reason": reason,
            "status": "requested",
            "requested_by": by,
            "requested_at": at,
            "key": key,
            "fingerprint": fingerprint,
        }

    @event("ReturnDecided")
    def decide_return(self, return_id: str, status: str, by: str, reason: str | None) -> None:
        self.returns[return_id] = {
            **self.returns[return_id],
            "status": status,
            "decided_by": by,
            "decision_reason": reason,
        }

    @event("ReturnReceived")
    def receive_return(self, return_id: str, by: str, at: datetime) -> None:
        self.returns[return_id] = {
            **self.returns[return_id],
            "status": "received",
            "received_by": by,
            "received_at": at,
        }

    @event("ComplaintFiled")
    def file_complaint(
        self, complaint_id: str, by: str, key: str | None = None, fingerprint: str | None = None
    ) -> None:
        self.complaints += 1
        if key is not None:
            self.complaint_keys[key] = {"complaint_id": complaint_id, "fingerprint": fingerprint}

    def keyed(self, kind: str, key: str) -> tuple[str, str | None] | None:
        """The (id, body fingerprint) of the return or complaint a request with this
        Idempotency-Key created, if one did."""
        if kind == "complaint":
            found = self.complaint_keys.get(key)
            return None if found is None else (str(found["complaint_id"]), found["fingerprint"])
        for return_id, rma in self.returns.items():
            if rma.get("key") == key:
                return return_id, rma.get("fingerprint")
        return None


def planned(shipment: dict[str, Any], at: datetime | None) -> dict[str, Any]:
    """A planned shipment (PlannedShipment.stored) as the gate follows it."""
    return {
        **shipment,
        "status": "planned",
        "time": at,
        "history": [{"status": "planned", "time": at}],
        "carrier": None,
        "tracking_number": None,
    }


def replaced(shipment: dict[str, Any]) -> bool:
    return shipment.get("replaced_by") is not None


class ChannelRegistry(Aggregate):
    """The channels that ever released an order here, so a tracking request carrying only the
    channel's order number can be resolved to order ids (they derive from channel and number)
    without an index row per order on the release path. Written once per new channel."""

    ID = uuid.uuid5(NAMESPACE, "channels")

    @staticmethod
    def create_id() -> uuid.UUID:
        return ChannelRegistry.ID

    @event("Opened")
    def __init__(self) -> None:
        self.channels: list[str] = []

    @event("ChannelSeen")
    def add(self, channel: str) -> None:
        self.channels = [*self.channels, channel]


class Ref(Aggregate):
    """Finds an order from an id a request carries alone: a return id, a carrier's tracking
    number (`kind` tells which)."""

    @staticmethod
    def create_id(kind: str, key: str) -> uuid.UUID:
        return stable_id(NAMESPACE, f"{kind}/{key}")

    @event("Registered")
    def __init__(self, kind: str, key: str, order_id: str, target: str):
        self.kind, self.key = kind, key
        self.order_id = order_id
        self.target = target  # the shipment a tracking number belongs to; the return id
