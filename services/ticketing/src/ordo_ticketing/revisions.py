"""What a channel's late revision changed, as data for the operator's instructions. Pure.

No customer data in it: they are kept in the ticket's details, which every role
reads; the operator compares the values in the order's timeline, masked as the role requires.
"""

from __future__ import annotations

from typing import Any

from ordo_events.order import CanonicalOrder

# The order's fields compared, by path; each template names them in its own language.
FIELDS = (
    "customer.name",
    "customer.email",
    "customer.phone",
    "delivery.method",
    "delivery.address",
    "delivery.pickup_point",
    "delivery.collector",
    "payment.method",
    "invoice",
    "billing_address",
)


def changes(released: CanonicalOrder | None, revised: CanonicalOrder) -> list[dict[str, Any]]:
    """What changed, as data the ticket keeps: {"sku", "released", "revised"} for a line's
    quantity, {"field"} for a field; {"note": "unknown" | "none"} when nothing can be named.
    Data, not words, so the instructions render again in each operator's language."""
    if released is None:
        return [{"note": "unknown"}]  # the released version has not reached ticketing
    found: list[dict[str, Any]] = _lines(released, revised)
    before, after = released.model_dump(mode="json"), revised.model_dump(mode="json")
    found += [{"field": path} for path in FIELDS if _at(before, path) != _at(after, path)]
    return found or [{"note": "none"}]


def _lines(released: CanonicalOrder, revised: CanonicalOrder) -> list[dict[str, Any]]:
    old, new = _quantities(released), _quantities(revised)
    return [
        {"sku": sku, "released": old.get(sku, 0), "revised": new.get(sku, 0)}
        for sku in sorted(old.keys() | new.keys())
        if old.get(sku, 0) != new.get(sku, 0)
    ]


def _quantities(order: CanonicalOrder) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in order.lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


def _at(data: object, path: str) -> object:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data
