"""Shopify: the REST `order` resource (`{"order": {...}}`) or the orders/create webhook body
(the same object, unwrapped)."""

from __future__ import annotations

from typing import Any

from ordo_ingestion.channels import normalise as n
from ordo_ingestion.channels.common import Outcome, Reader

CHANNEL = "shopify"
_STATUS = {"paid": "paid", "authorized": "authorized", "pending": "pending"}
_PICKUP = ("pickup", "pick up", "pick-up")


def adapt(data: dict[str, Any]) -> Outcome:
    wrapped = data.get("order")
    r = Reader(wrapped if isinstance(wrapped, dict) and "id" not in data else data, CHANNEL)
    ship = _address(r, "shipping_address")
    bill = _address(r, "billing_address")
    market = (ship or bill or {}).get("country")
    lines = [_line(r, i) for i in range(len(r.items("line_items")))]
    shipping_lines = r.get("shipping_lines") if isinstance(r.get("shipping_lines"), list) else []
    shipping = n.total(r.money("shipping_lines", i, "price") for i in range(len(shipping_lines)))
    title = r.text("shipping_lines", 0, "title")
    gateway = r.text("gateway") or r.text("payment_gateway_names", 0)
    totals = {
        "lines": r.money("total_line_items_price"),
        "shipping": shipping if shipping_lines else None,
        "discount": r.money("total_discounts"),
        "tax": r.money("total_tax"),
        "grand_total": r.money("total_price"),
    }
    raw_phone = r.text("phone") or r.text("customer", "phone")
    raw_phone = (
        raw_phone or r.text("shipping_address", "phone") or r.text("billing_address", "phone")
    )
    tax = None if r.get("taxes_included") is True else totals["tax"]
    n.totals_check(r, lines, totals["grand_total"], shipping, -n.total([totals["discount"]]), tax)
    canonical = {
        "channel": CHANNEL,
        "external_id": r.text("id", required=True),
        "placed_at": r.text("created_at"),
        "market": market,
        "currency": r.text("currency", required=True),
        "language": n.language(r.text("customer_locale"), market),
        "customer": {
            "name": n.full_name(r.text("customer", "first_name"), r.text("customer", "last_name"))
            or (ship or bill or {}).get("name"),
            "email": r.text("email") or r.text("contact_email") or r.text("customer", "email"),
            "phone": n.phone(r, raw_phone, market, "phone"),
        },
        "delivery": {
            "method": _method(r, ship, title),
            "address": ship,
            "service": title,
            "cost": shipping if shipping_lines else None,
        },
        "payment": {
            "method": "cash_on_delivery" if _is_cod(gateway) else "prepaid",
            "status": _STATUS.get(r.text("financial_status") or ""),
            "provider": gateway,
        },
        "lines": lines,
        "billing_address": bill,
        "totals": totals,
    }
    return r.finish(canonical, updated_at=r.text("updated_at"))


def _address(r: Reader, key: str) -> dict[str, Any] | None:
    return n.address(
        r,
        key,
        name=r.text(key, "name")
        or n.full_name(r.text(key, "first_name"), r.text(key, "last_name")),
        line1=r.text(key, "address1"),
        line2=r.text(key, "address2"),
        city=r.text(key, "city"),
        postcode=r.text(key, "zip"),
        country_code=r.text(key, "country_code"),
        country_name=r.text(key, "country"),
    )


def _line(r: Reader, i: int) -> dict[str, Any]:
    sku = r.text("line_items", i, "sku")
    if sku is None:
        stand_in = r.text("line_items", i, "variant_id") or r.text("line_items", i, "product_id")
        sku = f"variant-{stand_in}" if stand_in else None
        if sku is None:
            r.missing(("line_items", i, "sku"))
        else:
            r.warn("sku.missing", f"line_items.{i}.sku", f"Line {i} has no SKU; {sku} stands in.")
    return {
        "sku": sku,
        "name": r.text("line_items", i, "name") or r.text("line_items", i, "title"),
        "quantity": r.quantity("line_items", i, "quantity"),
        "unit_price": r.money("line_items", i, "price", required=True),
    }


def _method(r: Reader, ship: dict[str, Any] | None, title: str | None) -> str:
    if title and any(word in title.lower() for word in _PICKUP):
        return "store_pickup"
    items = r.get("line_items")
    if not isinstance(items, list):
        items = []  # not lines at all: the lines reader reports it
    if (
        ship is None
        and items
        and all(isinstance(item, dict) and item.get("requires_shipping") is False for item in items)
    ):
        return "digital"
    return "courier"


def _is_cod(gateway: str | None) -> bool:
    text = (gateway or "").lower()
    return "cash on delivery" in text or text in ("cod", "cash_on_delivery")
