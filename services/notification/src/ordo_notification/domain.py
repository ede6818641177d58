"""What the customer is told about their order, and each order's record of it."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from ordo_events import events as ev
from ordo_events.order import Address, Correction
from ordo_runtime.ids import stable_id

NAMESPACE = uuid.UUID("c3d9e2a4-7f61-4a0b-b5c8-9e1d2f3a4b80")

RECEIVED = "received"
ACTION_NEEDED = "action_needed"
DELAYED = "delayed"
CONFIRMED = "confirmed"
SHIPPED = "shipped"
DELIVERED = "delivered"
DELIVERY_FAILED = "delivery_failed"
RETURNED_TO_SENDER = "returned_to_sender"
CANCELLED = "cancelled"
# Not cancelled: goods had left. Once per order, whatever the refusal names: ticketing asks
# no more once goods left, so a second refusal is the same request answered again (a
# redelivery, or fulfillment answering after another parcel left), not news for the customer.
CANCELLATION_REFUSED = "cancellation_refused"
REFUNDED = "refunded"
PAYMENT_OVERDUE = "payment_overdue"
RETURN_APPROVED = "return_approved"
RETURN_REJECTED = "return_rejected"
# A parcel that came back to sender, sent again (ShipmentPlanned with `replaces`): told once
# per new parcel, as `reship_planned/<new shipment id>`, so a second re-ship is news too.
RESHIP_PLANNED = "reship_planned"
# The new parcel on its way, with its carrier and tracking number: its first status after it
# left the warehouse. It stands for "shipped", which the returned parcel already had.
RESHIP_SHIPPED = "reship_shipped"

# The statuses a customer hears about, by the event that announces them. Two events may
# announce one status (a shortage and a failed payment both mean "delayed"): it is told once.
STATUS_OF: dict[type[ev.Event], str] = {
    ev.OrderReceived: RECEIVED,
    ev.OrderValidationFailed: ACTION_NEEDED,
    ev.StockShortage: DELAYED,
    ev.PaymentFailed: DELAYED,
    ev.OrderReadyForFulfillment: CONFIRMED,
    ev.OrderCancelled: CANCELLED,
    ev.OrderCancellationRefused: CANCELLATION_REFUSED,
    ev.PaymentRefunded: REFUNDED,
    ev.PaymentOverdue: PAYMENT_OVERDUE,
    ev.ReturnApproved: RETURN_APPROVED,
    ev.ReturnRejected: RETURN_REJECTED,
}
# Once an order is cancelled its customer hears only of the money coming back.
TOLD_AFTER_CANCELLATION = frozenset({REFUNDED})
# Carrier statuses worth an email; packing and transit in between are only on the tracking page.
SHIPMENT_STATUSES = {
    "handed_to_carrier": SHIPPED,
    "delivered": DELIVERED,
    "delivery_failed": DELIVERY_FAILED,
    "returned_to_sender": RETURNED_TO_SENDER,
}
# A new parcel's statuses that tell the customer it is on its way again. Not the ended ones:
# a parcel first heard of as delivered or returned is told just that; a tracking number for
# it would be no use.
RESHIP_SHIPPED_ON = ev.LEFT_WAREHOUSE - ev.ENDED


def notice_of(event: ev.Event) -> tuple[str, str, dict[str, Any]] | None:
    """(key, template, facts) of the email an event calls for, or None. The key is what is
    told once: the status, or for parcels the status of that parcel (an order split into two
    shipments is delivered twice); the template is the status itself."""
    if isinstance(event, ev.ShipmentStatusChanged):
        template = SHIPMENT_STATUSES.get(event.status)
        if template is None or (template == SHIPPED and event.replaces is not None):
            return None  # a new parcel's hand-over is told as `reship_shipped_of`
        return f"{template}/{event.shipment_id}", template, parcel_facts(event)
    if isinstance(event, ev.ShipmentPlanned):
        if event.replaces is None:
            return None  # the order's own parcels: "confirmed" told the customer already
        facts = {"address": one_line(event.address), "pickup_point": event.pickup_point}
        return f"{RESHIP_PLANNED}/{event.shipment_id}", RESHIP_PLANNED, facts
    status = STATUS_OF.get(type(event))
    return None if status is None else (status, status, facts_of(event))


def reship_shipped_of(event: ev.ShipmentStatusChanged) -> tuple[str, dict[str, Any]] | None:
    """(key, facts) of the email telling that a parcel sent again is on its way, or None. Any
    of its statuses on the way may be the first one heard; the key tells it once."""
    if event.replaces is None or event.status not in RESHIP_SHIPPED_ON:
        return None
    return f"{RESHIP_SHIPPED}/{event.shipment_id}", parcel_facts(event)


def parcel_facts(event: ev.ShipmentStatusChanged) -> dict[str, Any]:
    return {
        "carrier": event.carrier,
        "tracking_number": event.tracking_number,
        "note": event.note,
    }


def one_line(address: Address | None) -> str | None:
    """Where a parcel goes, as the customer would write it on one line."""
    if address is None:
        return None
    parts = (address.name, address.line1, address.line2, f"{address.postcode} {address.city}")
    return ", ".join(part for part in parts if part)


def template_of(key: str) -> str:
    return key.partition("/")[0]


def facts_of(event: ev.Event) -> dict[str, Any]:
    """What the message for an event's status needs to say beyond the status itself."""
    match event:
        case ev.OrderValidationFailed(issues=issues):
            return {"issues": [{"code": i.code, "field": i.field} for i in issues]}
        case ev.StockShortage():
            return {"reason": "stock"}
        case ev.PaymentFailed():
            return {"reason": "payment"}
        case ev.OrderCancelled(reason=reason):
            return {"reason": reason}
        case ev.OrderCancellationRefused(shipments=shipments):
            # How many parcels left, for "the parcel" or "the parcels"; their ids mean
            # nothing to the customer. Their tracking numbers come from the notices (see
            # handlers.on_cancellation_refused).
            return {"parcels": len(shipments)}
        case ev.PaymentRefunded(amount=amount, currency=currency):
            return {"amount": str(amount), "currency": currency}
        case ev.PaymentOverdue(deadline=deadline):
            return {"deadline": deadline.strftime("%Y-%m-%d %H:%M UTC")}
        case ev.ReturnRejected(reason=reason):
            return {"reason": reason}
    return {}


def message_id_for(order_id: str, status: str) -> str:
    """Stable per order and status, so a re-sent email is recognisably the same email."""
    return f"<{uuid.uuid5(NAMESPACE, f'{order_id}/{status}')}@ordo>"


class CustomerNotices(Aggregate):
    """One order's customer: where to write, in which language, and what they were told."""

    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return stable_id(NAMESPACE, order_id)

    @event("Opened")
    def __init__(self, order_id: str, contact: dict[str, Any] | None = None):
        # Usually opened by OrderReceived, knowing the customer: one event instead of three.
        self.order_id = order_id
        self.received = contact is not None
        self.contact_known = contact is not None
        self.email: str | None = contact["email"] if contact else None
        self.name: str | None = contact["name"] if contact else None
        self.language = contact["language"] if contact else "en"
        self.market: str | None = contact["market"] if contact else None
        self.reference: str | None = contact["reference"] if contact else None
        # An operator's email correction recorded before the corrections were kept whole
        # (`email_fixes`, `learn_contact(corrected=...)` in older events): over any version.
        self.corrected_email: str | None = None
        # The email in the channel's latest version, once one came (the contact a correction
        # brings first is not the channel's), and the operators' email corrections: a
        # correction's email stays while the channel still has what it had when it was made.
        self.channel_known = contact is not None
        self.channel_email: str | None = contact["email"] if contact else None
        self.email_fixes: list[dict[str, Any]] = []
        # Statuses announced before the email was known, with what their message must say.
        self.pending: dict[str, dict[str, Any]] = {}
        self.requested: list[str] = []
        self.sent: list[str] = []
        # Each parcel's carrier and tracking number once handed over, by shipment id: what
        # a later email (a refused cancellation) can give the customer to follow it by.
        self.tracking: dict[str, dict[str, str | None]] = {}

    @event("ContactLearned")
    def learn_contact(
        self,
        email: str | None,
        name: str | None,
        language: str,
        market: str,
        reference: str,
        corrected: str | None = None,
        channel_email: str | None = None,
        channel_known: bool = False,
        fix: dict[str, Any] | None = None,
    ) -> None:
        self.contact_known = True
        self.email, self.name, self.language = email, name, language
        self.market, self.reference = market, reference
        if corrected is not None:
            self.corrected_email = corrected
        if channel_known:
            self.channel_known, self.channel_email = True, channel_email
        if fix is not None:
            self.email_fixes.append(fix)

    def email_in_force(
        self, channel_email: str | None, more: dict[str, Any] | None = None
    ) -> str | None:
        """The email to write to where the channel's version has `channel_email`: the
        latest operator's correction (of those kept, then `more`) still in force on it,
        else the channel's."""
        fixes = self.email_fixes if more is None else [*self.email_fixes, more]
        if self.corrected_email is not None and not self.email_fixes:
            # Corrected before the fixes were kept: that correction stays, as it did then.
            fixes = [{"email": self.corrected_email}, *fixes]
        email = channel_email
        for fix in fixes:
            correction = Correction.model_validate(fix)
            if correction.email and correction.holds("email", channel_email):
                email = correction.email
        return email

    @property
    def contact(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "language": self.language,
            "market": self.market,
            "reference": self.reference,
        }

    @event("OrderSeen")
    def mark_received(self) -> None:
        self.received = True

    @event("StatusHeld")
    def hold(self, status: str, facts: dict[str, Any]) -> None:
        self.pending[status] = facts

    @event("PendingDropped")
    def drop_pending(self) -> None:
        self.pending = {}

    @event("NotificationRequested")
    def request(
        self,
        order_id: str,
        status: str,
        recipient: str,
        language: str,
        subject: str,
        body: str,
        message_id: str,
    ) -> None:
        self.pending.pop(status, None)
        self.requested.append(status)

    @event("Sent")
    def mark_sent(self, status: str, message_id: str) -> None:
        self.sent.append(status)

    @event("TrackingLearned")
    def learn_tracking(self, shipment_id: str, carrier: str | None, number: str) -> None:
        self.tracking[shipment_id] = {"carrier": carrier, "number": number}

    def knows_of(self, status: str) -> bool:
        return status in self.requested or status in self.pending


# The mailer follows the notification log for these records only. (@event makes the class
# when CustomerNotices is defined, which mypy cannot see.)
REQUESTED_TOPIC = get_topic(CustomerNotices.NotificationRequested)  # type: ignore[attr-defined]
