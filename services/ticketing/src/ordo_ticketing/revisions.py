"""What a channel's late revision changed, in words for the operator. Pure.

No customer data in the words: they are kept in the ticket's details, which every role
reads; the operator compares the values in the order's timeline, masked as the role requires.
"""

from __future__ import annotations

from ordo_events.order import CanonicalOrder


def changes(released: CanonicalOrder | None, revised: CanonicalOrder) -> list[str]:
    if released is None:
        return ["the released version has not reached ticketing: compare in the timeline"]
    found = _lines(released, revised)
    fields = (
        ("customer.name", "the customer's name"),
        ("customer.email", "the customer's email"),
        ("customer.phone", "the customer's phone"),
        ("delivery.method", "the delivery method"),
        ("delivery.address", "the delivery address"),
        ("delivery.pickup_point", "the pickup point"),
        ("delivery.collector", "who collects the parcel"),
        ("payment.method", "the payment method"),
        ("invoice", "the invoice data"),
        ("billing_address", "the billing address"),
    )
    before, after = released.model_dump(mode="json"), revised.model_dump(mode="json")
    found += [f"{words} changed" for path, words in fields if _at(before, path) != _at(after, path)]
    return found or ["nothing Ordo compares (look at the totals and notes in the timeline)"]


def _lines(released: CanonicalOrder, revised: CanonicalOrder) -> list[str]:
    old, new = _quantities(released), _quantities(revised)
    words = []
    for sku in sorted(old.keys() | new.keys()):
        before, after = old.get(sku, 0), new.get(sku, 0)
        if before != after:
            words.append(f"{sku}: {before} released, {after} in the channel's version")
    return words


def _quantities(order: CanonicalOrder) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in order.lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


def _at(data: object, path: str) -> object:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data
