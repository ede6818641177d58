"""What a held payment may capture as its shipments leave, and what the courier collects
for a cash on delivery order as its shipments are delivered: the value of what they carried,
at the order's prices. Pure.

The share is computed over everything that left so far, then rounded, never shipment by
shipment: three parcels of 3.335 each would otherwise take 3.34 three times, 0.01 more
than the order. Once every line left, the share is the order's total itself, so the
captures add up to it exactly. A cash on delivery parcel returned to sender is valued the
same way, as what it takes away from what is still to collect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision


@dataclass(frozen=True)
class Line:
    """One order line, as payment keeps it: enough to value what a shipment carries."""

    sku: str
    quantity: int
    unit_price: Decimal


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency` (CLDR's digits: 0.01, JPY 1, KWD 0.001)."""
    return Decimal(1).scaleb(-get_currency_precision(currency.upper()))


def shipped_share(
    lines: Iterable[Line],
    total: Decimal,
    currency: str,
    shipments: Mapping[str, Mapping[str, int]],
) -> Decimal:
    """The part of `total` that `shipments` (quantity per SKU, by shipment id) carried.
    A SKU on several lines fills them in line order, as fulfilment planned them; units
    beyond what the lines order are worth nothing more. Without lines (a settlement stored
    before they were kept) nothing tells a part from the whole: the whole total."""
    left: dict[str, int] = {}
    for carried in shipments.values():
        for sku, quantity in carried.items():
            left[sku] = left.get(sku, 0) + quantity
    value, complete = Decimal(0), True
    for line in lines:
        taken = min(line.quantity, left.get(line.sku, 0))
        left[line.sku] = left.get(line.sku, 0) - taken
        value += taken * line.unit_price
        complete = complete and taken == line.quantity
    if complete:
        return total
    return min(total, value.quantize(minor_unit(currency), rounding=ROUND_HALF_UP))


def left_uncollected(
    lines: Sequence[Line],
    total: Decimal,
    currency: str,
    returned: Iterable[Mapping[str, int]],
    parcel: Mapping[str, int],
) -> Decimal | None:
    """What a cash on delivery order can no longer collect because `parcel` came back
    undelivered, after the parcels `returned` before it: the share of what was still to
    come, less the share of that without the parcel. Taken so, what the other parcels
    collect (the last delivered no longer takes "the rest", which includes this) and these
    amounts add up to `total`. None when the lines cannot tell (a settlement stored before
    they were kept, or a parcel that names none)."""
    if not lines or not parcel:
        return None
    due: dict[str, int] = {}
    for line in lines:
        due[line.sku] = due.get(line.sku, 0) + line.quantity
    for gone in returned:
        _take(due, gone)
    before = shipped_share(lines, total, currency, {"to come": dict(due)})
    _take(due, parcel)
    return before - shipped_share(lines, total, currency, {"to come": due})


def _take(units: dict[str, int], parcel: Mapping[str, int]) -> None:
    for sku, quantity in parcel.items():
        if sku in units:
            units[sku] = max(0, units[sku] - quantity)
