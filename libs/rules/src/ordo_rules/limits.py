"""Checks on money, quantities and places: payment methods, totals, cash-on-delivery
limits, quantities, delivery countries."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pydantic import Field

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder, PaymentMethod
from ordo_rules.checks import PASS, Check, NoParams, check


class Methods(NoParams):
    methods: list[PaymentMethod] = Field(min_length=1)


@check("payment_method_allowed", "payment.method_not_allowed", params=Methods)
def payment_method_allowed(params: Methods) -> Check:
    """The payment method is one of `methods` (scope it to a channel with the process match)."""
    allowed = frozenset(params.methods)

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        if order.payment.method in allowed:
            return PASS
        message = f"Payment by {order.payment.method.value} is not offered here."
        return (Issue(code="payment.method_not_allowed", field="payment.method", message=message),)

    return run


class Tolerance(NoParams):
    tolerance: Decimal = Field(default=Decimal("0.01"), ge=0)


@check("totals_consistent", "totals.mismatch", params=Tolerance)
def totals_consistent(params: Tolerance) -> Check:
    """The totals the channel stated agree with the lines: the lines' total with the sum of
    the lines, the grand total with lines + shipping - discount. What was not stated is not
    compared; an order without totals passes."""

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        totals = order.totals
        if totals is None:
            return PASS
        lines = order.total
        issues = []
        if totals.lines is not None and abs(totals.lines - lines) > params.tolerance:
            message = f"Stated lines total {totals.lines} but the lines add up to {lines}."
            issues.append(Issue(code="totals.mismatch", field="totals.lines", message=message))
        if totals.grand_total is not None:
            shipping = totals.shipping if totals.shipping is not None else order.delivery.cost
            expected = lines + (shipping or 0) - (totals.discount or 0)
            if abs(totals.grand_total - expected) > params.tolerance:
                message = (
                    f"Stated grand total {totals.grand_total} but lines + shipping - discount"
                    f" is {expected}."
                )
                field = "totals.grand_total"
                issues.append(Issue(code="totals.mismatch", field=field, message=message))
        return issues

    return run


class Limit(NoParams):
    max: Decimal = Field(gt=0)
    currency: str | None = Field(default=None, min_length=3, max_length=3)


@check("cod_limit", "payment.cod_limit_exceeded", params=Limit)
def cod_limit(params: Limit) -> Check:
    """A cash-on-delivery order's value (lines and shipping) is at most `max` (in `currency`
    when given: orders in other currencies are not judged)."""

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        if order.payment.method is not PaymentMethod.CASH_ON_DELIVERY:
            return PASS
        if params.currency and order.currency.upper() != params.currency.upper():
            return PASS
        value = order.total + (order.delivery.cost or 0)
        if value <= params.max:
            return PASS
        message = f"Cash on delivery is limited to {params.max} {order.currency}; this is {value}."
        return (Issue(code="payment.cod_limit_exceeded", field="payment", message=message),)

    return run


class MaxCount(NoParams):
    max: int = Field(ge=1)


@check("max_quantity_per_line", "lines.quantity_exceeded", params=MaxCount)
def max_quantity_per_line(params: MaxCount) -> Check:
    """No line asks for more than `max` units."""

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        return [
            Issue(
                code="lines.quantity_exceeded",
                field=f"lines[{i}].quantity",
                message=f"{line.quantity} of {line.sku} is more than the {params.max} allowed.",
            )
            for i, line in enumerate(order.lines)
            if line.quantity > params.max
        ]

    return run


@check("max_lines", "lines.too_many", params=MaxCount)
def max_lines(params: MaxCount) -> Check:
    """An order has at most `max` lines."""

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        if len(order.lines) <= params.max:
            return PASS
        message = f"{len(order.lines)} lines is more than the {params.max} allowed."
        return (Issue(code="lines.too_many", field="lines", message=message),)

    return run


class Countries(NoParams):
    countries: list[str] = Field(min_length=1)


@check("delivery_country_allowed", "delivery.country_not_allowed", params=Countries)
def delivery_country_allowed(params: Countries) -> Check:
    """A delivery address, when there is one, is in one of `countries` (ISO 3166 alpha-2)."""
    allowed = frozenset(c.upper() for c in params.countries)

    def run(order: CanonicalOrder) -> Sequence[Issue]:
        address = order.delivery.address
        if address is None or address.country.upper() in allowed:
            return PASS
        message = f"Ordo does not deliver to {address.country} for this channel and market."
        field = "delivery.address.country"
        return (Issue(code="delivery.country_not_allowed", field=field, message=message),)

    return run
