"""BaseLinker: one order as `getOrders` returns it (an element of its `orders` list), or a
whole getOrders response holding exactly one order. Amounts are gross JSON numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ordo_events.events import Issue
from ordo_ingestion.channels import normalise as n
from ordo_ingestion.channels.common import Outcome, Reader, Unusable

CHANNEL = "baselinker"


def adapt(data: dict[str, Any]) -> Outcome:
    orders = data.get("orders")
    if isinstance(orders, list):
        if len(orders) != 1 or not isinstance(orders[0], dict):
            message = f"Send one order per message; this getOrders response holds {len(orders)}."
            return Unusable([Issue(code="orders.count", field="orders", message=message)])
        data = orders[0]
    r = Reader(data, CHANNEL)
    market = n.country(r, r.text("delivery_country_code"), r.text("delivery_country"), "delivery")
    ship = _address(r, "delivery")
    bill = _address(r, "invoice")
    market = market or (bill or {}).get("country")
    lines = [_line(r, i) for i in range(len(r.items("products")))]
    point = r.text("delivery_point_id")
    cost = r.money("delivery_price")
    paid = r.money("payment_done")
    due = n.total(
        [cost, *(line["unit_price"] * line["quantity"] for line in lines if not r.issues)]
    )
    company = r.text("invoice_company")
    tax_id = n.tax_id(
        r, r.text("invoice_nip"), (bill or {}).get("country") or market, "invoice_nip"
    )
    cod = r.get("payment_method_cod") in ("1", 1, True)
    canonical = {
        "channel": CHANNEL,
        "external_id": r.text("order_id", required=True),
        "placed_at": _time(r.get("date_add")),
        "market": market,
        "currency": r.text("currency", required=True),
        "language": n.language(None, market),
        "customer": {
            "name": r.text("delivery_fullname") or r.text("invoice_fullname"),
            "email": r.text("email"),
            "phone": n.phone(r, r.text("phone"), market, "phone"),
        },
        "delivery": {
            "method": "parcel_locker" if point else "courier",
            "address": ship,
            "pickup_point": point,
            "service": r.text("delivery_method"),
            "cost": cost,
        },
        "payment": {
            "method": "cash_on_delivery" if cod else "prepaid",
            "status": "paid" if not cod and paid is not None and paid >= due > 0 else "pending",
            "provider": r.text("payment_method"),
        },
        "invoice": {"company": company, "tax_id": tax_id, "address": bill}
        if company and tax_id and r.get("want_invoice") in ("1", 1, True)
        else None,
        "lines": lines,
        "billing_address": bill,
        "totals": {"shipping": cost},
    }
    return r.finish(canonical)


def _address(r: Reader, prefix: str) -> dict[str, Any] | None:
    return n.address(
        r,
        prefix,
        name=r.text(f"{prefix}_fullname") or r.text(f"{prefix}_company"),
        line1=r.text(f"{prefix}_address"),
        line2=None,
        city=r.text(f"{prefix}_city"),
        postcode=r.text(f"{prefix}_postcode"),
        country_code=r.text(f"{prefix}_country_code"),
        country_name=r.text(f"{prefix}_country"),
    )


def _line(r: Reader, i: int) -> dict[str, Any]:
    return {
        "sku": r.text("products", i, "sku") or _stand_in(r, i),
        "name": r.text("products", i, "name"),
        "quantity": r.quantity("products", i, "quantity"),
        "unit_price": r.money("products", i, "price_brutto", required=True),
    }


def _stand_in(r: Reader, i: int) -> str | None:
    product = r.text("products", i, "variant_id")
    product = product if product not in (None, "0") else r.text("products", i, "product_id")
    if not product:
        r.missing(("products", i, "sku"))
        return None
    r.warn("sku.missing", f"products.{i}.sku", f"Line {i} has no SKU; product-{product} stands in.")
    return f"product-{product}"


def _time(value: object) -> str | None:
    # BaseLinker gives unix timestamps.
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**33:
        return datetime.fromtimestamp(value, UTC).isoformat()
    return None
