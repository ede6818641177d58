"""Integration events: what Ordo's services tell each other over Kafka.

Past tense, immutable, versioned. A class's `version` is its schema version; an old payload
is brought up to date by the upcasters registered in `envelope.py` before it is parsed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ordo_events.order import Address, CanonicalOrder, Correction


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    version: ClassVar[int] = 1
    order_id: str


class Issue(BaseModel):
    """One thing wrong with an order, machine-readable (`code`) and human-readable."""

    model_config = ConfigDict(frozen=True)
    code: str
    field: str | None = None
    message: str


# --- ingestion -> ordo.orders ------------------------------------------------------------
class OrderReceived(Event):
    order: CanonicalOrder
    # What the channel lacked or got wrong without making the order unreadable (a tax id that
    # fails its checksum, totals that do not add up); kept for whoever decides on the order.
    warnings: list[Issue] = []


class OrderRevised(Event):
    """The channel sent a changed version of an order ingestion already took (before it was
    accepted); `order` is the whole new version. Never a second order."""

    order: CanonicalOrder
    revision: str | None = None
    warnings: list[Issue] = []


class OrderRejected(Event):
    """A payload the intake could not accept; kept whole with its reasons."""

    channel: str
    external_id: str | None = None
    issues: list[Issue]
    raw: str


# --- validation -> ordo.validation -------------------------------------------------------
# `sequence` on a verdict: which accepted version of the order it judged (0: as received; n:
# the release gate's n-th OrderRevisionAccepted), so the gate never releases on a verdict about
# a version since replaced. A field with a default: old records read as 0 and old readers
# ignore it, so the schema version stays 1.
class OrderValidated(Event):
    """The order passed validation; `order` is the version that passed (after any correction)."""

    attempt: int = 1
    order: CanonicalOrder
    sequence: int = 0


class OrderValidationFailed(Event):
    attempt: int = 1
    issues: list[Issue] = Field(min_length=1)
    sequence: int = 0


# --- inventory -> ordo.inventory ---------------------------------------------------------
class ReservedLine(BaseModel):
    model_config = ConfigDict(frozen=True)
    sku: str
    quantity: int
    warehouse: str = "main"


class MissingStock(BaseModel):
    model_config = ConfigDict(frozen=True)
    sku: str
    requested: int
    available: int
    # Where it is missing, when it must come from one warehouse (a parcel sent again comes
    # from the one it came back to); None when any warehouse would do (a new reservation).
    warehouse: str | None = None


class StockReserved(Event):
    lines: list[ReservedLine]


class StockShortage(Event):
    missing: list[MissingStock]


class StockShipped(Event):
    """Reserved stock that left the warehouse with a shipment: on hand and reserved both went
    down by `lines`, so a later absolute count agrees with what is held."""

    shipment_id: str
    lines: list[ReservedLine]


class StockRestocked(Event):
    """The inverse of StockShipped: a shipment the carrier brought back undelivered (returned
    to sender). Its `lines` are on hand again in the warehouses that shipped them."""

    shipment_id: str
    lines: list[ReservedLine]


class StockReheld(Event):
    """The units of a parcel that came back to sender (`shipment_id`, the returned one) are
    held for the order again, so it can be sent again (see ReshipRequested). All or nothing:
    `lines` are the returned parcel's."""

    shipment_id: str
    lines: list[ReservedLine]
    # Which of the operator's requests for this parcel it answers (ReshipRequested.attempt):
    # after a shortage the next request may name another address, and fulfillment must pair
    # the units held with the request they were held for, whichever topic arrives first.
    attempt: int = Field(default=1, ge=1)


class ReshipShortage(Event):
    """A parcel that came back to sender cannot be sent again: some of its units were sold
    or counted away since they came back. Nothing is held for it; an operator decides."""

    shipment_id: str
    missing: list[MissingStock]
    # Which of the operator's requests for this parcel it answers (ReshipRequested.attempt):
    # after a shortage the next request may name another address, and fulfillment must pair
    # the units held with the request they were held for, whichever topic arrives first.
    attempt: int = Field(default=1, ge=1)


class StockReleased(Event):
    """Reserved stock given back: the order was cancelled, its payment failed, its
    reservation expired, or a revision changed its lines (`reason`: cancelled |
    payment_failed | expired | returned | revised)."""

    lines: list[ReservedLine]
    reason: str


# --- payment provider -> ordo.payment.provider (the provider's webhook, as received) ---
class PaymentNotificationReceived(Event):
    notification_id: str
    # captured: money taken (it may arrive before its authorisation); refunded and voided:
    # the provider confirming, or reporting, money given back or an authorisation released.
    status: Literal["authorized", "declined", "captured", "refunded", "voided"]
    amount: Decimal
    currency: str
    provider_ref: str
    reason: str | None = None


# --- payment -> ordo.payment -------------------------------------------------------------
class PaymentAuthorized(Event):
    amount: Decimal
    currency: str
    provider_ref: str


class PaymentFailed(Event):
    reason: str
    provider_ref: str | None = None


class CashOnDeliveryAccepted(Event):
    amount: Decimal
    currency: str


class PaymentCaptured(Event):
    """Money taken: at once for a full payment, shipment by shipment for a held one (each
    its share, the amount of this capture alone), and for cash on delivery as each shipment
    is delivered (what the courier collected for it)."""

    amount: Decimal
    currency: str
    provider_ref: str | None = None


class CashOnDeliveryNotCollected(Event):
    """A cash on delivery parcel came back to the sender undelivered: the courier collected
    nothing for it, and `amount` of the order will not be collected unless it is sent again.
    What the order's other parcels collect and these amounts add up to its total."""

    shipment_id: str
    amount: Decimal
    currency: str


class PaymentVoided(Event):
    """A held authorisation released without capture (the order was cancelled), or what its
    shipments had not taken of it when the order was cancelled after some left."""

    reason: str
    provider_ref: str | None = None


class PaymentRefunded(Event):
    amount: Decimal
    currency: str
    reason: str


class PaymentOverdue(Event):
    """A prepaid order was not paid by the channel's deadline."""

    deadline: datetime


# --- fulfillment -> ordo.fulfillment -----------------------------------------------------
class OrderReadyForFulfillment(Event):
    lines: list[ReservedLine]


class OrderRevisionAccepted(Event):
    """The release gate took a channel's revision of an order it had not released: `order`
    replaces the order, is judged again (validation) and reserved again if its lines changed
    (inventory). The gate decides, because only it knows, in the same write, whether the
    order was already released. `sequence` numbers the accepted versions from 1."""

    order: CanonicalOrder
    sequence: int = Field(ge=1)
    revision: str | None = None  # the channel's own name for the version, if it gave one


class OrderRevisedAfterRelease(Event):
    """The channel changed an order already released to the warehouse. Nothing changes on its
    own: ticketing gives an operator the channel's version to compare with the released one."""

    order: CanonicalOrder
    revision: str | None = None


ShipmentStatus = Literal[
    "planned",
    "packed",
    "handed_to_carrier",
    "in_transit",
    "delivered",
    "delivery_failed",
    "returned_to_sender",  # final: the carrier brought it back undelivered
]
# The statuses that say a shipment's goods left the warehouse; the first of them counts (a
# carrier may skip the hand-over). A failed delivery was out for delivery: it left too. A
# parcel returned to sender left as well (fulfillment accepts it only after one of the
# others); what it carried is back on the shelf, which its readers handle on their own.
LEFT_WAREHOUSE: frozenset[ShipmentStatus] = frozenset(
    {"handed_to_carrier", "in_transit", "delivered", "delivery_failed", "returned_to_sender"}
)
# The statuses after which nothing more happens to a shipment.
ENDED: frozenset[ShipmentStatus] = frozenset({"delivered", "returned_to_sender"})


class ShipmentPlanned(Event):
    """A released order split into shipments: one per delivery address and warehouse."""

    shipment_id: str
    warehouse: str
    lines: list[ReservedLine]
    address: Address | None = None
    pickup_point: str | None = None
    collector: str | None = None  # a third person collecting the parcel
    # A parcel sent again: the shipment it replaces, which came back to sender. Its goods,
    # payment share and place in the order's status are that shipment's from now on.
    replaces: str | None = None


class Collection(BaseModel):
    """Who collected a pickup shipment, as staff at the counter checked and recorded it. Only
    the last characters of the identity document are kept: enough to match it, not to use it."""

    model_config = ConfigDict(frozen=True)
    collector: str  # the person's name, as on the document; customer data
    relation: str  # customer | authorised third party | family member | other
    document_type: str  # id_card | passport | driving_licence | residence_permit | other
    document_last_digits: str
    recorded_by: str  # the operator or manager who recorded it
    # Set when the person differs from the collector the order named: why it was allowed.
    override_reason: str | None = None


class ShipmentStatusChanged(Event):
    shipment_id: str
    status: ShipmentStatus
    carrier: str | None = None
    tracking_number: str | None = None
    note: str | None = None
    # What the shipment carries, so a reader can tell what left the warehouse without
    # keeping the plan; empty in events published before it was added.
    lines: list[ReservedLine] = []
    # For a pickup recorded as collected at the counter (status delivered): by whom.
    collection: Collection | None = None
    # When the status happened (the carrier's clock; the counter's for a collection), so
    # inventory can tell a departure from a stock count taken after it. None in events
    # published before it was added; a field with a default, so the schema stays version 1.
    time: datetime | None = None
    # For a parcel sent again: the shipment it replaces (as on its ShipmentPlanned), so a
    # reader need not keep the plan to know its share was that shipment's.
    replaces: str | None = None


class ShipmentWithdrawn(Event):
    """A planned or packed shipment stopped because its order was cancelled: the warehouse
    must not hand it over and puts `lines` back on the shelf. A shipment's status of its own,
    not a ShipmentStatusChanged, so readers that know only the carriers' statuses skip it."""

    shipment_id: str
    lines: list[ReservedLine]
    reason: str


class OrderCancelled(Event):
    """The release gate cancelled the order (at an operator's request, see
    OrderCancellationRequested): none of its goods had left, its planned shipments are
    withdrawn, and it is never released after. Stock is released and the payment voided or
    refunded by the services that hold them. Written by fulfillment only."""

    reason: str
    cancelled_by: str


class OrderCancellationRefused(Event):
    """The release gate refused a cancellation: `shipments` already left the warehouse, so
    a refund would pay for goods the customer keeps. The order stays as it was; a return
    takes back what they do not want. `reason` and `requested_by` are the request's."""

    reason: str
    requested_by: str
    shipments: list[str] = Field(min_length=1)


class ReturnRequested(Event):
    """The customer asked to send back some lines (an RMA)."""

    return_id: str
    lines: list[ReservedLine]
    reason: str


class ReturnApproved(Event):
    return_id: str
    approved_by: str


class ReturnRejected(Event):
    return_id: str
    rejected_by: str
    reason: str


class ReturnReceived(Event):
    """The returned goods arrived: inventory restocks `lines`, payment refunds `amount`."""

    return_id: str
    lines: list[ReservedLine]
    amount: Decimal
    currency: str


class ComplaintFiled(Event):
    """A customer's complaint about an order; ticketing opens a ticket for it."""

    complaint_id: str
    message: str
    filed_by: str


# --- ticketing -> ordo.tickets -----------------------------------------------------------
class TicketOpened(Event):
    ticket_id: str
    reason: str
    stage: str
    severity: Literal["low", "normal", "high"] = "normal"
    instructions: str
    issues: list[Issue] = []
    channel: str | None = None
    market: str | None = None
    sla_due: datetime | None = None  # when an operator should have dealt with it
    # What the instructions were rendered from, so a reader can render them in its own language.
    details: dict[str, Any] = {}


class TicketAssigned(Event):
    ticket_id: str
    assignee: str
    assigned_by: str


class TicketHeld(Event):
    """An operator put the ticket aside (waiting for the customer, a delivery...)."""

    ticket_id: str
    held_by: str
    note: str | None = None


class TicketReleased(Event):
    """A held ticket is back in the queue, with its assignee if it had one."""

    ticket_id: str
    released_by: str


class TicketCancelled(Event):
    """The ticket no longer needs an answer: its order was cancelled."""

    ticket_id: str
    cancelled_by: str
    reason: str


class TicketResolved(Event):
    ticket_id: str
    resolved_by: str
    resolution: str


class OrderCancellationRequested(Event):
    """An operator (or the customer, through one) asked to cancel the order. Only a request:
    the release gate, which knows whether any shipment left, answers OrderCancelled or
    OrderCancellationRefused."""

    reason: str
    requested_by: str


class ReshipRequested(Event):
    """An operator, having talked to the customer, asks for a parcel that came back to sender
    to be sent again, from its `returned_to_sender` ticket. Inventory holds its units again
    (StockReheld, or ReshipShortage); fulfillment then plans a new shipment replacing it
    (ShipmentPlanned with `replaces`), to `address` when given, else where the first went."""

    ticket_id: str
    shipment_id: str  # the parcel that came back
    requested_by: str
    address: Address | None = None
    # The operator's n-th request for this parcel (a new one may follow a ReshipShortage):
    # inventory answers each by its number.
    attempt: int = Field(default=1, ge=1)


class OrderCorrected(Event):
    """An operator fixed an order; `order` is the whole order after the correction, built on
    the accepted version `sequence` (see OrderRevisionAccepted; 0: as received). A reader
    that has taken a newer version applies `correction`, field by field, to that instead
    (`order.corrected`): a revision the gate took while the correction was on its way keeps
    its changes. `sequence` has a default, as on the verdicts: the schema version stays 1."""

    ticket_id: str
    corrected_by: str
    correction: Correction
    order: CanonicalOrder
    sequence: int = Field(default=0, ge=0)


# --- validation -> ordo.rules -----------------------------------------------------------
class RuleSetPublished(Event):
    """A new version of the order rules (YAML, `text`) is in force: validation judges the
    orders it reads from now on by it. Not about one order: `order_id` is the one subject
    every rule set shares, so all versions land on one partition, in order."""

    order_id: str = "ordo.rules"
    rule_version: int  # not `version`: that is every event's schema version
    name: str
    text: str
    published_by: str


# --- notification -> ordo.notifications --------------------------------------------------
class NotificationSent(Event):
    status: str
    channel: Literal["email"] = "email"
    recipient: str
    message_id: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        OrderReceived,
        OrderRevised,
        OrderRejected,
        OrderValidated,
        OrderValidationFailed,
        StockReserved,
        StockShortage,
        StockReleased,
        StockShipped,
        StockRestocked,
        StockReheld,
        ReshipShortage,
        PaymentNotificationReceived,
        PaymentAuthorized,
        PaymentFailed,
        CashOnDeliveryAccepted,
        PaymentCaptured,
        PaymentVoided,
        PaymentRefunded,
        PaymentOverdue,
        CashOnDeliveryNotCollected,
        OrderReadyForFulfillment,
        OrderRevisionAccepted,
        OrderRevisedAfterRelease,
        ShipmentPlanned,
        ShipmentStatusChanged,
        ShipmentWithdrawn,
        OrderCancelled,
        OrderCancellationRefused,
        ReturnRequested,
        ReturnApproved,
        ReturnRejected,
        ReturnReceived,
        ComplaintFiled,
        TicketOpened,
        TicketResolved,
        TicketAssigned,
        TicketHeld,
        TicketReleased,
        TicketCancelled,
        OrderCancellationRequested,
        ReshipRequested,
        OrderCorrected,
        NotificationSent,
        RuleSetPublished,
    )
}
