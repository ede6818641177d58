"""Each check in the library, on orders that pass and orders that fail it."""

from __future__ import annotations

from typing import Any

import pytest

from ordo_events.order import CanonicalOrder
from ordo_rules import CHECKS
from ordo_runtime.testing import sample_order

ADDRESS = {"line1": "Hauptstr. 1", "city": "Berlin", "postcode": "10115", "country": "DE"}
INVOICE = {"company": "ACME sp. z o.o.", "tax_id": "1234563218"}  # a NIP with a good checksum


def codes(check: str, order: CanonicalOrder, **params: Any) -> list[str]:
    spec = CHECKS[check]
    run = spec.build(spec.params.model_validate(params))
    return [issue.code for issue in run(order)]


CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    ("phone_valid", {}, {}, []),
    ("phone_valid", {}, {"customer": {"email": "a@b.pl"}}, ["phone.missing"]),
    ("phone_valid", {}, {"customer": {"phone": "  "}}, ["phone.missing"]),
    ("phone_valid", {}, {"customer": {"phone": "123"}}, ["phone.invalid"]),
    ("phone_valid", {}, {"market": "DE", "customer": {"phone": "030 901820"}}, []),
    ("email_valid", {}, {}, []),
    ("email_valid", {}, {"customer": {"phone": "+48 601 234 567"}}, ["email.missing"]),
    ("email_valid", {}, {"customer": {"email": "jan@@example"}}, ["email.invalid"]),
    ("delivery_address_present", {}, {}, []),
    (
        "delivery_address_present",
        {},
        {"delivery": {"method": "courier"}},
        ["delivery.address_missing"],
    ),
    (
        "pickup_point_present",
        {},
        {"delivery": {"method": "parcel_locker", "pickup_point": "W1"}},
        [],
    ),
    (
        "pickup_point_present",
        {},
        {"delivery": {"method": "parcel_locker"}},
        ["delivery.pickup_point_missing"],
    ),
    ("invoice_complete", {}, {}, []),
    ("invoice_complete", {}, {"invoice": INVOICE}, []),
    ("invoice_complete", {}, {"invoice": {"company": " ", "tax_id": "1"}}, ["invoice.incomplete"]),
    ("tax_id_valid", {}, {"invoice": INVOICE}, []),
    (
        "tax_id_valid",
        {},
        {"invoice": {"company": "ACME", "tax_id": "1234563219"}},
        ["invoice.tax_id_invalid"],
    ),
    ("tax_id_valid", {}, {"invoice": {"company": "ACME", "tax_id": "PL1234563218"}}, []),
    (
        "tax_id_valid",
        {},
        {"market": "RU", "invoice": {"company": "OOO", "tax_id": "7707083893"}},
        [],
    ),
    (
        "tax_id_valid",
        {},
        {"market": "RU", "invoice": {"company": "OOO", "tax_id": "7707083894"}},
        ["invoice.tax_id_invalid"],
    ),
    (
        "tax_id_valid",
        {},
        {"invoice": {"company": "GmbH", "tax_id": "136695976", "address": ADDRESS}},
        [],
    ),
    ("tax_id_valid", {}, {"market": "US", "invoice": {"company": "Inc", "tax_id": "1"}}, []),
    ("payment_method_allowed", {"methods": ["cash_on_delivery"]}, {}, []),
    (
        "payment_method_allowed",
        {"methods": ["prepaid"]},
        {},
        ["payment.method_not_allowed"],
    ),
    ("totals_consistent", {}, {}, []),  # an order without totals: nothing stated to compare
    ("totals_consistent", {}, {"totals": {"lines": "10.00", "grand_total": "10.00"}}, []),
    (
        "totals_consistent",
        {},
        {"totals": {"lines": "12.00"}},
        ["totals.mismatch"],
    ),
    (
        "totals_consistent",
        {},
        {"totals": {"shipping": "5.00", "discount": "1.00", "grand_total": "14.00"}},
        [],
    ),
    (
        "totals_consistent",
        {},
        {"totals": {"shipping": "5.00", "grand_total": "10.00"}},
        ["totals.mismatch"],
    ),
    ("cod_limit", {"max": "10"}, {}, []),
    ("cod_limit", {"max": "9.99"}, {}, ["payment.cod_limit_exceeded"]),
    ("cod_limit", {"max": "9.99", "currency": "EUR"}, {}, []),  # a PLN order is not judged
    ("cod_limit", {"max": "1"}, {"payment": {"method": "prepaid"}}, []),
    ("max_quantity_per_line", {"max": 1}, {}, []),
    (
        "max_quantity_per_line",
        {"max": 2},
        {"lines": [{"sku": "A", "quantity": 3, "unit_price": "1"}]},
        ["lines.quantity_exceeded"],
    ),
    ("max_lines", {"max": 1}, {}, []),
    (
        "max_lines",
        {"max": 1},
        {"lines": [{"sku": s, "quantity": 1, "unit_price": "1"} for s in "AB"]},
        ["lines.too_many"],
    ),
    ("delivery_country_allowed", {"countries": ["PL"]}, {}, []),
    (
        "delivery_country_allowed",
        {"countries": ["PL"]},
        {"delivery": {"method": "courier", "address": ADDRESS}},
        ["delivery.country_not_allowed"],
    ),
    (
        "delivery_country_allowed",
        {"countries": ["PL"]},
        {"delivery": {"method": "store_pickup"}},
        [],
    ),
]


@pytest.mark.parametrize(("check", "params", "changes", "expected"), CASES)
def test_check(
    check: str, params: dict[str, Any], changes: dict[str, Any], expected: list[str]
) -> None:
    order = sample_order(**changes)
    assert codes(check, order, **params) == expected


def test_every_check_in_the_library_is_exercised() -> None:
    assert {case[0] for case in CASES} == set(CHECKS)


def test_every_check_says_what_it_does_and_which_codes_it_gives() -> None:
    for spec in CHECKS.values():
        assert spec.doc, spec.name
        assert spec.codes, spec.name
