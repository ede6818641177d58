"""The library of checks a rule set draws from. Each check is compiled once from its params
into a plain function of an order, returning the issues found (an empty tuple when none)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict
from stdnum.eu import vat
from stdnum.pl import nip
from stdnum.ru import inn

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder

Check = Callable[[CanonicalOrder], Sequence[Issue]]
PASS: tuple[Issue, ...] = ()


class NoParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class CheckSpec:
    name: str
    params: type[NoParams]
    build: Callable[[Any], Check]
    codes: tuple[str, ...]
    doc: str


CHECKS: dict[str, CheckSpec] = {}


def check(
    name: str, *codes: str, params: type[NoParams] = NoParams
) -> Callable[[Callable[[Any], Check]], Callable[[Any], Check]]:
    def register(build: Callable[[Any], Check]) -> Callable[[Any], Check]:
        doc = (build.__doc__ or "").strip()
        CHECKS[name] = CheckSpec(name, params, build, codes, doc)
        return build

    return register


@check("phone_valid", "phone.missing", "phone.invalid")
def phone_valid(_: NoParams) -> Check:
    """The customer's phone is there and is a valid number for the order's market."""

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        phone = order.customer.phone
        if not phone or not phone.strip():
            return (
                Issue(code="phone.missing", field="customer.phone", message="No phone number."),
            )
        try:
            number = phonenumbers.parse(phone, order.market.upper())
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            message = f"Phone number {phone!r} is not a valid number for market {order.market}."
            return (Issue(code="phone.invalid", field="customer.phone", message=message),)
        return PASS

    return run


@check("email_valid", "email.missing", "email.invalid")
def email_valid(_: NoParams) -> Check:
    """The customer's email is there and well-formed (deliverability is not asked)."""

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        email = order.customer.email
        if not email:
            return (
                Issue(code="email.missing", field="customer.email", message="No email address."),
            )
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as exc:
            message = f"Email {email!r}: {exc}"
            return (Issue(code="email.invalid", field="customer.email", message=message),)
        return PASS

    return run


@check("delivery_address_present", "delivery.address_missing")
def delivery_address_present(_: NoParams) -> Check:
    """A delivery address is given (put it under a stage `when: {delivery_method: courier}`)."""

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        if order.delivery.address is not None:
            return PASS
        message = f"Delivery by {order.delivery.method.value} needs a delivery address."
        return (Issue(code="delivery.address_missing", field="delivery.address", message=message),)

    return run


@check("pickup_point_present", "delivery.pickup_point_missing")
def pickup_point_present(_: NoParams) -> Check:
    """A pickup point (the parcel locker's id) is given."""
    missing = Issue(
        code="delivery.pickup_point_missing",
        field="delivery.pickup_point",
        message="Delivery to a parcel locker needs the locker's id.",
    )
    return lambda order: PASS if order.delivery.pickup_point else (missing,)


@check("invoice_complete", "invoice.incomplete")
def invoice_complete(_: NoParams) -> Check:
    """When an invoice is requested, both the company name and the tax id are given."""
    incomplete = Issue(
        code="invoice.incomplete",
        field="invoice",
        message="An invoice was requested: company name and tax id are both needed.",
    )

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        invoice = order.invoice
        if invoice is None or (invoice.company.strip() and invoice.tax_id.strip()):
            return PASS
        return (incomplete,)

    return run


# Countries with a national tax id that is not written as an EU VAT number.
_NATIONAL_TAX_IDS: dict[str, Callable[[str], bool]] = {"PL": nip.is_valid, "RU": inn.is_valid}


@check("tax_id_valid", "invoice.tax_id_invalid")
def tax_id_valid(_: NoParams) -> Check:
    """An invoice's tax id passes its checksum: NIP (PL), INN (RU), or an EU VAT number
    (with its country prefix, or in the invoice's country). Other countries are not judged."""

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        invoice = order.invoice
        if invoice is None or not invoice.tax_id.strip():
            return PASS  # a missing tax id is invoice_complete's to report
        tax_id = invoice.tax_id.strip().upper()
        country = (invoice.address.country if invoice.address else order.market).upper()
        if tax_id[:2].isalpha():
            valid = bool(vat.is_valid(tax_id))
        elif country in _NATIONAL_TAX_IDS:
            valid = _NATIONAL_TAX_IDS[country](tax_id)
        elif country in vat.MEMBER_STATES or country == "EL":
            valid = bool(vat.is_valid(country + tax_id))
        else:
            return PASS
        if valid:
            return PASS
        message = f"Tax id {invoice.tax_id!r} is not a valid tax id for {country}."
        return (Issue(code="invoice.tax_id_invalid", field="invoice.tax_id", message=message),)

    return run


__all__ = ["CHECKS", "PASS", "Check", "CheckSpec", "NoParams", "check"]
