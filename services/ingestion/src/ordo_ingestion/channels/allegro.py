"""Allegro: a checkout form (`GET /order/checkout-forms/{id}`, or its event's payload).

Only READY_FOR_PROCESSING is an order to take: before it the buyer may still change or
abandon the checkout. `revision` changes whenever the form does, so it tells a re-send of the
same version (nothing to do) from a new one (a revision of the order)."""

from __future__ import annotations

from typing import Any

from ordo_ingestion.channels import normalise as n
from ordo_ingestion.channels.common import Outcome, Reader, Skipped

CHANNEL = "allegro"
READY = "READY_FOR_PROCESSING"
_PAID = ("ONLINE", "SPLIT_PAYMENT", "EXTENDED_TERM")


def adapt(data: dict[str, Any]) -> Outcome:
    r = Reader(data, CHANNEL)
    external_id = r.text("id", required=True)
    status = r.text("status", required=True)
    revision = r.text("revision")
    if external_id and status and status != READY:
        return Skipped(external_id, status, revision)
    ship = _address(r, ("delivery", "address"), "zipCode")
    invoice_address = _address(r, ("invoice", "address"), "zipCode")
    buyer_address = _address(r, ("buyer", "address"), "postCode")
    market = (ship or invoice_address or buyer_address or {}).get("country")
    lines = [_line(r, i) for i in range(len(r.items("lineItems")))]
    pickup = r.text("delivery", "pickupPoint", "id")
    cost = r.money("delivery", "cost", "amount")
    grand_total = r.money("summary", "totalToPay", "amount")
    n.totals_check(r, lines, grand_total, cost)
    company = r.text("invoice", "address", "company", "name")
    tax_id = n.tax_id(
        r, r.text("invoice", "address", "company", "taxId"), market, "invoice.address.company.taxId"
    )
    pay_type = r.text("payment", "type")
    paid = r.money("payment", "paidAmount", "amount")
    raw_phone = r.text("buyer", "phoneNumber") or r.text("delivery", "address", "phoneNumber")
    canonical = {
        "channel": CHANNEL,
        "external_id": external_id,
        "placed_at": r.text("lineItems", 0, "boughtAt"),
        "market": market,
        "currency": r.text("summary", "totalToPay", "currency", required=True),
        "language": n.language(r.text("buyer", "preferences", "language"), market),
        "customer": {
            "name": n.full_name(r.text("buyer", "firstName"), r.text("buyer", "lastName")),
            "email": r.text("buyer", "email"),
            "phone": n.phone(r, raw_phone, market, "buyer.phoneNumber"),
        },
        "delivery": {
            "method": "parcel_locker" if pickup else "courier",
            "address": ship,
            "pickup_point": pickup,
            "service": r.text("delivery", "method", "name"),
            "cost": cost,
        },
        "payment": {
            "method": "cash_on_delivery" if pay_type == "CASH_ON_DELIVERY" else "prepaid",
            # Cash on delivery is paid to the courier: pending until then, whatever was prepaid.
            "status": "paid"
            if pay_type in _PAID
            and paid is not None
            and grand_total is not None
            and paid >= grand_total
            else "pending",
            "provider": r.text("payment", "provider"),
            "reference": r.text("payment", "id"),
        },
        "invoice": {"company": company, "tax_id": tax_id, "address": invoice_address}
        if r.get("invoice", "required") is True and company and tax_id
        else None,
        "lines": lines,
        "billing_address": invoice_address or buyer_address,
        "totals": {"shipping": cost, "grand_total": grand_total},
    }
    return r.finish(canonical, revision=revision, updated_at=r.text("updatedAt"))


def _address(r: Reader, path: tuple[str, ...], postcode: str) -> dict[str, Any] | None:
    return n.address(
        r,
        ".".join(path),
        name=n.full_name(r.text(*path, "firstName"), r.text(*path, "lastName"))
        or r.text(*path, "companyName")
        or r.text(*path, "company", "name"),
        line1=r.text(*path, "street"),
        line2=None,
        city=r.text(*path, "city"),
        postcode=r.text(*path, postcode),
        country_code=r.text(*path, "countryCode"),
    )


def _line(r: Reader, i: int) -> dict[str, Any]:
    # The seller's own product code, where the offer has one; else Allegro's offer id.
    sku = r.text("lineItems", i, "offer", "external", "id") or r.text("lineItems", i, "offer", "id")
    if sku is None:
        r.missing(("lineItems", i, "offer", "external", "id"))
    return {
        "sku": sku,
        "name": r.text("lineItems", i, "offer", "name"),
        "quantity": r.quantity("lineItems", i, "quantity"),
        "unit_price": r.money("lineItems", i, "price", "amount", required=True),
    }
