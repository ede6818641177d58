"""WooCommerce: a REST API v3 order; the order.created webhook body is the same object.
Line `price` is a JSON number while totals are strings: both are read as Decimal."""

from __future__ import annotations

from typing import Any

from ordo_ingestion.channels import normalise as n
from ordo_ingestion.channels.common import Outcome, Reader

CHANNEL = "woocommerce"
_COD = ("cod",)
_PICKUP = ("local_pickup", "pickup_location")
# Statuses in which the shop already holds the money.
_PAID = ("processing", "completed")
# EU VAT plugins keep the buyer's number in order meta under one of these keys.
_VAT_KEYS = ("_billing_vat_number", "_vat_number", "vat_number", "_billing_nip", "_billing_eu_vat")


def adapt(data: dict[str, Any]) -> Outcome:
    r = Reader(data, CHANNEL)
    ship = _address(r, "shipping")
    bill = _address(r, "billing")
    market = (ship or bill or {}).get("country")
    lines = [_line(r, i) for i in range(len(r.items("line_items")))]
    method_id = r.text("shipping_lines", 0, "method_id")
    payment = r.text("payment_method")
    shipping = r.money("shipping_total")
    totals = {
        "lines": n.total(r.money("line_items", i, "subtotal") for i in range(len(lines))),
        "shipping": shipping,
        "discount": r.money("discount_total"),
        "tax": r.money("total_tax"),
        "grand_total": r.money("total"),
    }
    tax = None if r.get("prices_include_tax") is True else totals["tax"]
    discount = totals["discount"]
    n.totals_check(r, lines, totals["grand_total"], shipping, -n.total([discount]), tax)
    company = r.text("billing", "company")
    vat_id = n.tax_id(r, _meta(r, _VAT_KEYS), market, "meta_data.vat_number")
    canonical = {
        "channel": CHANNEL,
        "external_id": r.text("id", required=True),
        "placed_at": _utc(r.text("date_created_gmt")) or r.text("date_created"),
        "market": market,
        "currency": r.text("currency", required=True),
        "language": n.language(_meta(r, ("wpml_language", "_wpml_language")), market),
        "customer": {
            "name": (bill or ship or {}).get("name"),
            "email": r.text("billing", "email"),
            "phone": n.phone(r, r.text("billing", "phone"), market, "billing.phone"),
        },
        "delivery": {
            "method": _method(method_id, ship, r),
            "address": ship,
            "service": r.text("shipping_lines", 0, "method_title"),
            "cost": shipping,
        },
        "payment": {
            "method": "cash_on_delivery" if payment in _COD else "prepaid",
            "status": _status(r),
            "provider": payment,
            "reference": r.text("transaction_id"),
        },
        "invoice": {"company": company, "tax_id": vat_id, "address": bill}
        if company and vat_id
        else None,
        "lines": lines,
        "billing_address": bill,
        "totals": totals,
    }
    return r.finish(canonical, updated_at=_utc(r.text("date_modified_gmt")))


def _address(r: Reader, key: str) -> dict[str, Any] | None:
    return n.address(
        r,
        key,
        name=n.full_name(r.text(key, "first_name"), r.text(key, "last_name")),
        line1=r.text(key, "address_1"),
        line2=r.text(key, "address_2"),
        city=r.text(key, "city"),
        postcode=r.text(key, "postcode"),
        country_code=r.text(key, "country"),
    )


def _line(r: Reader, i: int) -> dict[str, Any]:
    sku = r.text("line_items", i, "sku")
    if sku is None:
        product = r.text("line_items", i, "variation_id")
        product = product if product not in (None, "0") else r.text("line_items", i, "product_id")
        sku = f"product-{product}" if product else None
        if sku is None:
            r.missing(("line_items", i, "sku"))
        else:
            r.warn("sku.missing", f"line_items.{i}.sku", f"Line {i} has no SKU; {sku} stands in.")
    return {
        "sku": sku,
        "name": r.text("line_items", i, "name"),
        "quantity": r.quantity("line_items", i, "quantity"),
        "unit_price": r.money("line_items", i, "price", required=True),
    }


def _method(method_id: str | None, ship: dict[str, Any] | None, r: Reader) -> str:
    if method_id in _PICKUP:
        return "store_pickup"
    if method_id is None and ship is None and r.get("shipping_lines") == []:
        return "digital"
    return "courier"


def _status(r: Reader) -> str:
    if r.text("date_paid_gmt") or r.text("date_paid") or r.text("status") in _PAID:
        return "paid"
    return "pending"


def _meta(r: Reader, keys: tuple[str, ...]) -> str | None:
    entries = r.get("meta_data")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("key") in keys:
            value = entry.get("value")
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _utc(value: str | None) -> str | None:
    # WooCommerce's *_gmt dates are UTC without saying so.
    return f"{value}+00:00" if value and len(value) == 19 else None
