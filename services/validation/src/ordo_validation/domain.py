"""What validation checks in an order, and its per-order record of verdicts."""

from __future__ import annotations

import uuid

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from eventsourcing.domain import Aggregate, event

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder, DeliveryMethod

NAMESPACE = uuid.UUID("a4b0c6f1-3b9e-4d7e-8f7c-1c2d3e4f5a60")


def check_order(order: CanonicalOrder) -> list[Issue]:
    return [*check_phone(order), *check_email(order), *check_delivery(order), *check_invoice(order)]


def check_phone(order: CanonicalOrder) -> list[Issue]:
    phone = order.customer.phone
    if not phone or not phone.strip():
        return [Issue(code="phone.missing", field="customer.phone", message="No phone number.")]
    try:
        number = phonenumbers.parse(phone, order.market.upper())
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        return [
            Issue(
                code="phone.invalid",
                field="customer.phone",
                message=f"Phone number {phone!r} is not a valid number for market {order.market}.",
            )
        ]
    return []


def check_email(order: CanonicalOrder) -> list[Issue]:
    email = order.customer.email
    if not email:
        return [Issue(code="email.missing", field="customer.email", message="No email address.")]
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        return [
            Issue(code="email.invalid", field="customer.email", message=f"Email {email!r}: {exc}")
        ]
    return []


def check_delivery(order: CanonicalOrder) -> list[Issue]:
    delivery = order.delivery
    if delivery.method.needs_address and delivery.address is None:
        return [
            Issue(
                code="delivery.address_missing",
                field="delivery.address",
                message=f"Delivery by {delivery.method.value} needs a delivery address.",
            )
        ]
    if delivery.method is DeliveryMethod.PARCEL_LOCKER and not delivery.pickup_point:
        return [
            Issue(
                code="delivery.pickup_point_missing",
                field="delivery.pickup_point",
                message="Delivery to a parcel locker needs the locker's id.",
            )
        ]
    return []


def check_invoice(order: CanonicalOrder) -> list[Issue]:
    invoice = order.invoice
    if invoice is not None and (not invoice.company.strip() or not invoice.tax_id.strip()):
        return [
            Issue(
                code="invoice.incomplete",
                field="invoice",
                message="An invoice was requested: company name and tax id are both needed.",
            )
        ]
    return []


class OrderCheck(Aggregate):
    """Validation's memory of one order: its verdicts and the corrections already re-checked."""

    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, order_id)

    @event("Checked")
    def __init__(self, order_id: str, codes: list[str]):
        self.order_id = order_id
        self.codes = codes
        self.attempts = 1
        self.corrections: list[str] = []

    @event("Rechecked")
    def recheck(self, correction_id: str, codes: list[str]) -> None:
        self.codes = codes
        self.attempts += 1
        self.corrections.append(correction_id)

    @property
    def passed(self) -> bool:
        return not self.codes
