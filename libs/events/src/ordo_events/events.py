"""Integration events: what Ordo's services tell each other over Kafka.

Past tense, immutable, versioned. A class's `version` is its schema version; an old payload
is brought up to date by the upcasters registered in `envelope.py` before it is parsed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ordo_events.order import CanonicalOrder, Correction


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


class OrderRejected(Event):
    """A payload the intake could not accept; kept whole with its reasons."""

    channel: str
    external_id: str | None = None
    issues: list[Issue]
    raw: str


# --- validation -> ordo.validation -------------------------------------------------------
class OrderValidated(Event):
    """The order passed validation; `order` is the version that passed (after any correction)."""

    attempt: int = 1
    order: CanonicalOrder


class OrderValidationFailed(Event):
    attempt: int = 1
    issues: list[Issue] = Field(min_length=1)


# --- inventory -> ordo.inventory ---------------------------------------------------------
class ReservedLine(BaseModel):
    model_config = ConfigDict(frozen=True)
    sku: str
    quantity: int


class MissingStock(BaseModel):
    model_config = ConfigDict(frozen=True)
    sku: str
    requested: int
    available: int


class StockReserved(Event):
    lines: list[ReservedLine]


class StockShortage(Event):
    missing: list[MissingStock]


# --- payment provider -> ordo.payment.provider (the provider's webhook, as received) ---
class PaymentNotificationReceived(Event):
    notification_id: str
    status: Literal["authorized", "declined"]
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


# --- fulfillment -> ordo.fulfillment -----------------------------------------------------
class OrderReadyForFulfillment(Event):
    lines: list[ReservedLine]


# --- ticketing -> ordo.tickets -----------------------------------------------------------
class TicketOpened(Event):
    ticket_id: str
    reason: str
    stage: str
    severity: Literal["low", "normal", "high"] = "normal"
    instructions: str
    issues: list[Issue] = []


class TicketResolved(Event):
    ticket_id: str
    resolved_by: str
    resolution: str


class OrderCorrected(Event):
    """An operator fixed an order; `order` is the whole order after the correction."""

    ticket_id: str
    corrected_by: str
    correction: Correction
    order: CanonicalOrder


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
        OrderRejected,
        OrderValidated,
        OrderValidationFailed,
        StockReserved,
        StockShortage,
        PaymentNotificationReceived,
        PaymentAuthorized,
        PaymentFailed,
        CashOnDeliveryAccepted,
        OrderReadyForFulfillment,
        TicketOpened,
        TicketResolved,
        OrderCorrected,
        NotificationSent,
    )
}
