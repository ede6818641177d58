"""Ordo's canonical order: what every sales channel's order is turned into."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

# Order ids are derived from the channel reference, so a channel that re-sends an order gets the
# same id back and a retry can never become a second order.
ORDER_NAMESPACE = uuid.UUID("6f1c2a52-3a4e-4c1b-9a0f-0a7d5e0c9b11")


@lru_cache(maxsize=65536)  # a pure function asked several times per order on hot paths
def order_id_for(channel: str, external_id: str) -> str:
    return str(uuid.uuid5(ORDER_NAMESPACE, f"{channel}\x1f{external_id}"))


class DeliveryMethod(StrEnum):
    COURIER = "courier"
    PARCEL_LOCKER = "parcel_locker"
    STORE_PICKUP = "store_pickup"
    DIGITAL = "digital"

    @property
    def needs_address(self) -> bool:
        return self is DeliveryMethod.COURIER


class PaymentMethod(StrEnum):
    PREPAID = "prepaid"
    CASH_ON_DELIVERY = "cash_on_delivery"


class PaymentStatus(StrEnum):
    """Where the channel says the payment stands when the order arrives."""

    PENDING = "pending"
    AUTHORIZED = "authorized"
    PAID = "paid"


class SettlementMode(StrEnum):
    """How a payment is settled: captured at once (full), authorised at the order and captured
    at shipment (held), paid in several parts (split), or collected by the courier."""

    FULL = "full"
    HELD = "held"
    SPLIT = "split"
    CASH_ON_DELIVERY = "cash_on_delivery"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(_Model):
    name: str | None = None
    line1: str = Field(min_length=1)
    line2: str | None = None
    city: str = Field(min_length=1)
    postcode: str = Field(min_length=1)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")


class Customer(_Model):
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class Delivery(_Model):
    method: DeliveryMethod
    address: Address | None = None
    pickup_point: str | None = None
    service: str | None = None  # the channel's name for the delivery option chosen
    cost: Decimal | None = Field(default=None, ge=0)
    collector: str | None = None  # a third person collecting the parcel for the customer


class Payment(_Model):
    method: PaymentMethod
    status: PaymentStatus | None = None
    provider: str | None = None
    reference: str | None = None  # the provider's or channel's payment id
    settlement: SettlementMode | None = None  # None: full when prepaid

    @property
    def mode(self) -> SettlementMode:
        """How this payment is settled; `method` alone keeps meaning what it always did."""
        if self.method is PaymentMethod.CASH_ON_DELIVERY:
            return SettlementMode.CASH_ON_DELIVERY
        return self.settlement or SettlementMode.FULL


class Totals(_Model):
    """The totals as the channel stated them; None where the channel did not say."""

    lines: Decimal | None = None
    shipping: Decimal | None = None
    discount: Decimal | None = None
    tax: Decimal | None = None
    grand_total: Decimal | None = None


class Invoice(_Model):
    company: str
    tax_id: str
    address: Address | None = None


class OrderLine(_Model):
    sku: str = Field(min_length=1)
    name: str | None = None
    quantity: int = Field(gt=0)
    unit_price: Decimal = Field(ge=0)
    # Where this line goes when not to the order's delivery address: one order may ship to
    # several addresses (gifts), each becoming a shipment of its own.
    delivery_address: Address | None = None


class CanonicalOrder(_Model):
    """An order as a channel submits it to Ordo. Structure is checked here; business rules
    (is the phone there, does the delivery method need an address) are the validation service's."""

    channel: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    external_id: str = Field(min_length=1, max_length=128)
    placed_at: datetime | None = None
    market: str = Field(default="PL", min_length=2, max_length=2)
    currency: str = Field(default="PLN", min_length=3, max_length=3)
    language: str = Field(default="pl", min_length=2, max_length=8)
    customer: Customer
    delivery: Delivery
    payment: Payment
    invoice: Invoice | None = None
    lines: list[OrderLine] = Field(min_length=1)
    billing_address: Address | None = None
    totals: Totals | None = None

    @property
    def order_id(self) -> str:
        return order_id_for(self.channel, self.external_id)

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal("0"))


class ChannelValues(_Model):
    """What the channel's version of an order had in the fields a correction sets, when the
    operator made it (the fields the correction leaves alone are not kept)."""

    phone: str | None = None
    email: str | None = None
    delivery_address: Address | None = None
    delivery_method: DeliveryMethod | None = None
    payment_method: PaymentMethod | None = None


def _correctable(order: CanonicalOrder) -> dict[str, object]:
    """The fields of `order` an operator can correct, by their names in `Correction`."""
    return {
        "phone": order.customer.phone,
        "email": order.customer.email,
        "delivery_address": order.delivery.address,
        "delivery_method": order.delivery.method,
        "payment_method": order.payment.method,
    }


class Correction(_Model):
    """Data an operator supplies to fix an order; only the fields given are changed. A
    correction is a set of fields, not a version of the order: see `corrected`."""

    phone: str | None = None
    email: str | None = None
    delivery_address: Address | None = None
    delivery_method: DeliveryMethod | None = None
    payment_method: PaymentMethod | None = None
    retry_stock: bool = False
    note: str | None = None
    # What the channel had in those fields when the correction was made; ticketing fills it
    # in (`based_on`), whatever a request says. None on corrections made before Ordo kept it:
    # those apply whatever the channel sends later.
    replaced: ChannelValues | None = Field(
        default=None,
        description="Filled in by Ordo when the correction is made: what the channel's"
        " version had in the corrected fields. A value given in a request is replaced.",
    )

    def fields(self) -> dict[str, object]:
        """The fields this correction sets, with their values."""
        given = {name: getattr(self, name) for name in CORRECTABLE}
        return {name: value for name, value in given.items() if value}

    def based_on(self, sent: CanonicalOrder | None) -> Correction:
        """This correction, knowing what the channel's version `sent` has in its fields
        (None: that version is not known, so it will apply whatever the channel sends)."""
        if sent is None:
            return self.model_copy(update={"replaced": None})
        had = _correctable(sent)
        return self.model_copy(
            update={"replaced": ChannelValues.model_validate({k: had[k] for k in self.fields()})}
        )

    def in_force(self, sent: CanonicalOrder) -> dict[str, object]:
        """The fields this correction still sets on the channel's version `sent`: those the
        channel has not changed since the operator corrected them. A field the channel
        changed afterwards is the channel's again: the customer's newer word wins (and is
        checked again like any version)."""
        now = _correctable(sent)
        return {k: v for k, v in self.fields().items() if self.holds(k, now[k])}

    def holds(self, name: str, channel_value: object) -> bool:
        """Whether the field `name` this correction sets is still in force where the
        channel's version has `channel_value` in it."""
        return self.replaced is None or getattr(self.replaced, name) == channel_value

    def apply(self, order: CanonicalOrder, sent: CanonicalOrder | None = None) -> CanonicalOrder:
        """`order` with this correction's fields in force on `sent` (the channel's version
        the corrections are set on; `order` itself when not given)."""
        fields = self.in_force(order if sent is None else sent)
        customer = order.customer.model_copy(
            update={k: fields[k] for k in ("phone", "email") if k in fields}
        )
        delivery = order.delivery
        if "delivery_method" in fields:
            delivery = delivery.model_copy(update={"method": fields["delivery_method"]})
        if "delivery_address" in fields:
            delivery = delivery.model_copy(update={"address": fields["delivery_address"]})
        payment = order.payment
        if "payment_method" in fields:
            # Only the method changes: the channel's word on the payment (status, provider,
            # reference, settlement) is still what payment decides on.
            payment = payment.model_copy(update={"method": fields["payment_method"]})
        return order.model_copy(
            update={"customer": customer, "delivery": delivery, "payment": payment}
        )


CORRECTABLE = tuple(ChannelValues.model_fields)


def corrected(order: CanonicalOrder, corrections: Iterable[Correction]) -> CanonicalOrder:
    """The order in force: a version of the order as the channel sent it, with the operator's
    corrections set on top in the order they were made. A channel's revision, taken before or
    after a correction, keeps its other changes; a field an operator corrected stays
    corrected while the channel still has in it what it had then (the channel never knew the
    correction), and is the channel's again once the channel changes it."""
    sent = order
    for correction in corrections:
        order = correction.apply(order, sent)
    return order
