"""The release gate: exactly once, only when validated, reserved and paid, in any order."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from ordo_events import events as ev
from ordo_fulfillment.app import service
from ordo_runtime.testing import Scenario, sample_order

ORDER = sample_order()
OID = ORDER.order_id
VALIDATED = ev.OrderValidated(order_id=OID, order=ORDER)
RESERVED = ev.StockReserved(order_id=OID, lines=[ev.ReservedLine(sku="SKU-1", quantity=1)])
PAID = ev.CashOnDeliveryAccepted(order_id=OID, amount=Decimal("10.00"), currency="PLN")
# The release comes with its one shipment planned (see test_shipments.py for splitting).
RELEASED = [
    ev.OrderReadyForFulfillment(order_id=OID, lines=[ev.ReservedLine(sku="SKU-1", quantity=1)]),
    ev.ShipmentPlanned(
        order_id=OID,
        shipment_id=f"{OID}-S1",
        warehouse="main",
        lines=[ev.ReservedLine(sku="SKU-1", quantity=1)],
        address=ORDER.delivery.address,
    ),
]


@pytest.mark.parametrize("facts", list(itertools.permutations([VALIDATED, RESERVED, PAID])))
def test_released_once_whatever_order_the_facts_arrive_in(facts: tuple[ev.Event, ...]) -> None:
    scenario = Scenario(service)
    published = [e for fact in facts for e in scenario.when(fact)]
    assert published == RELEASED


def test_never_released_twice() -> None:
    scenario = Scenario(service).given(VALIDATED, RESERVED, PAID)
    again = ev.PaymentAuthorized(
        order_id=OID, amount=Decimal("10.00"), currency="PLN", provider_ref="x"
    )
    assert scenario.when(again) == []
    assert scenario.when(ev.OrderValidated(order_id=OID, order=ORDER, attempt=2)) == []


def test_not_released_without_payment() -> None:
    scenario = Scenario(service).given(VALIDATED)
    assert scenario.when(RESERVED) == []


def test_a_failed_revalidation_holds_the_order_back() -> None:
    failed = ev.OrderValidationFailed(
        order_id=OID, attempt=2, issues=[ev.Issue(code="phone.missing", message="No phone number.")]
    )
    scenario = Scenario(service).given(VALIDATED, failed, RESERVED)
    assert scenario.when(PAID) == []
    assert scenario.when(ev.OrderValidated(order_id=OID, order=ORDER, attempt=3)) == RELEASED
