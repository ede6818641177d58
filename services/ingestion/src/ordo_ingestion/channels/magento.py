"""Magento 2 / Adobe Commerce: `GET /V1/orders/{id}`. Amounts are JSON numbers (read as
Decimal); the shipping address sits in extension_attributes.shipping_assignments."""

from __future__ import annotations

from typing import Any

from ordo_ingestion.channels import normalise as n
from ordo_ingestion.channels.common import Outcome, Reader

CHANNEL = "magento"
_COD = ("cashondelivery",)
_PICKUP = ("instore_pickup", "instore")
SHIPPING = ("extension_attributes", "shipping_assignments", 0, "shipping")


def adapt(data: dict[str, Any]) -> Outcome:
    r = Reader(data, CHANNEL)
    ship = _address(r, (*SHIPPING, "address"))
    bill = _address(r, ("billing_address",))
    market = (ship or bill or {}).get("country")
    # Configurable products list the parent and its child; the parent carries the price.
    items = r.items("items")
    lines = [
        _line(r, i)
        for i, item in enumerate(items)
        if not (isinstance(item, dict) and item.get("parent_item_id") is not None)
    ]
    shipping = r.money("shipping_amount")
    totals = {
        "lines": r.money("subtotal"),
        "shipping": shipping,
        "discount": r.money("discount_amount", absolute=True),  # Magento writes it negative
        "tax": r.money("tax_amount"),
        "grand_total": r.money("grand_total"),
    }
    discount = -n.total([totals["discount"]])
    n.totals_check(r, lines, totals["grand_total"], shipping, discount, totals["tax"])
    method = r.text(*SHIPPING, "method")
    payment = r.text("payment", "method")
    due = r.money("total_due")
    raw_phone = r.text(*SHIPPING, "address", "telephone") or r.text("billing_address", "telephone")
    company = r.text("billing_address", "company")
    vat_id = r.text("billing_address", "vat_id") or r.text("customer_taxvat")
    tax_id = n.tax_id(r, vat_id, market, "billing_address.vat_id")
    canonical = {
        "channel": CHANNEL,
        "external_id": r.text("increment_id", required=True),
        "placed_at": _utc(r.text("created_at")),
        "market": market,
        "currency": r.text("order_currency_code", required=True),
        "language": n.language(None, market),
        "customer": {
            "name": n.full_name(r.text("customer_firstname"), r.text("customer_lastname")),
            "email": r.text("customer_email"),
            "phone": n.phone(r, raw_phone, market, "billing_address.telephone"),
        },
        "delivery": {
            "method": _method(r, method),
            "address": ship,
            "service": r.text("shipping_description") or method,
            "cost": shipping,
        },
        "payment": {
            "method": "cash_on_delivery" if payment in _COD else "prepaid",
            "status": "paid" if due is not None and due == 0 else "pending",
            "provider": payment,
            "reference": r.text("payment", "last_trans_id"),
        },
        "invoice": {"company": company, "tax_id": tax_id, "address": bill}
        if company and tax_id
        else None,
        "lines": lines,
        "billing_address": bill,
        "totals": totals,
    }
    return r.finish(canonical, updated_at=_utc(r.text("updated_at")))


def _address(r: Reader, path: tuple[str | int, ...]) -> dict[str, Any] | None:
    street = r.get(*path, "street")
    street = street if isinstance(street, list) else []
    return n.address(
        r,
        ".".join(str(p) for p in path),
        name=n.full_name(r.text(*path, "firstname"), r.text(*path, "lastname")),
        line1=r.text(*path, "street", 0) if street else None,
        line2=" ".join(s for s in street[1:] if isinstance(s, str)) or None,
        city=r.text(*path, "city"),
        postcode=r.text(*path, "postcode"),
        country_code=r.text(*path, "country_id"),
    )


def _line(r: Reader, i: int) -> dict[str, Any]:
    return {
        "sku": r.text("items", i, "sku", required=True),
        "name": r.text("items", i, "name"),
        "quantity": r.quantity("items", i, "qty_ordered"),
        "unit_price": r.money("items", i, "price", required=True),
    }


def _method(r: Reader, method: str | None) -> str:
    if r.get("is_virtual") in (1, True):
        return "digital"
    if method and method.startswith(_PICKUP):
        return "store_pickup"
    return "courier"


def _utc(value: str | None) -> str | None:
    # Magento stores and returns its dates in UTC, "2017-08-21 22:22:19".
    return f"{value.replace(' ', 'T')}+00:00" if value and len(value) == 19 else None
