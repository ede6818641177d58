"""The release gate and a channel's revision: before release it replaces the order and the
gate waits for the new version's verdict and a reservation of its lines; after release it
changes nothing and asks for an operator."""

from __future__ import annotations

from decimal import Decimal

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_fulfillment.app import service
from ordo_runtime.testing import Scenario, sample_order
from services.fulfillment.tests.support import released

ORDER = sample_order()
OID = ORDER.order_id
TWO = sample_order(lines=[{"sku": "SKU-1", "quantity": 2, "unit_price": "10.00"}])
ELSEWHERE = sample_order(
    delivery={
        "method": "courier",
        "address": {
            "line1": "ul. Krótka 2",
            "city": "Kraków",
            "postcode": "30-001",
            "country": "PL",
        },
    }
)
PAID = ev.CashOnDeliveryAccepted(order_id=OID, amount=Decimal("10.00"), currency="PLN")


def validated(order: CanonicalOrder, sequence: int = 0) -> ev.OrderValidated:
    return ev.OrderValidated(order_id=OID, order=order, sequence=sequence)


def reserved(quantity: int) -> ev.StockReserved:
    return ev.StockReserved(order_id=OID, lines=[ev.ReservedLine(sku="SKU-1", quantity=quantity)])


def revised(order: CanonicalOrder, revision: str | None = None) -> ev.OrderRevised:
    return ev.OrderRevised(order_id=OID, order=order, revision=revision)


def release_of(events: list[ev.Event]) -> ev.OrderReadyForFulfillment:
    (ready, *_) = events
    assert isinstance(ready, ev.OrderReadyForFulfillment)
    return ready


def test_a_revision_before_release_waits_for_the_new_verdict_and_reservation() -> None:
    scenario = Scenario(service).given(validated(ORDER), reserved(1))
    assert scenario.when(revised(TWO, "r2")) == [
        ev.OrderRevisionAccepted(order_id=OID, order=TWO, sequence=1, revision="r2")
    ]
    assert scenario.when(PAID) == []  # the verdict was on the replaced version
    assert scenario.when(validated(ORDER)) == []  # a late verdict on the replaced version
    assert scenario.when(validated(TWO, sequence=1)) == []  # stock still held for one unit
    released_stock = ev.StockReleased(
        order_id=OID, lines=[ev.ReservedLine(sku="SKU-1", quantity=1)], reason="revised"
    )
    assert scenario.when(released_stock) == []
    ready = release_of(scenario.when(reserved(2)))
    assert ready.lines == [ev.ReservedLine(sku="SKU-1", quantity=2)]


def test_a_verdict_on_the_replaced_version_never_releases_even_arriving_first() -> None:
    # The revision reached the gate before the verdict on the order as received.
    scenario = Scenario(service).given(revised(TWO), reserved(2), PAID)
    assert scenario.when(validated(ORDER)) == []
    failed = ev.OrderValidationFailed(
        order_id=OID, issues=[ev.Issue(code="phone.missing", message="No phone.")]
    )
    assert scenario.when(failed) == []
    assert release_of(scenario.when(validated(TWO, sequence=1))).lines[0].quantity == 2


def test_a_revision_keeping_the_lines_releases_on_its_verdict_with_its_address() -> None:
    scenario = Scenario(service).given(validated(ORDER), reserved(1), revised(ELSEWHERE))
    assert scenario.when(PAID) == []
    events = scenario.when(validated(ELSEWHERE, sequence=1))
    release_of(events)
    (planned,) = [e for e in events if isinstance(e, ev.ShipmentPlanned)]
    assert planned.address == ELSEWHERE.delivery.address


def test_a_repeated_revision_changes_nothing() -> None:
    scenario = Scenario(service).given(validated(ORDER), reserved(1), revised(ELSEWHERE))
    assert scenario.when(revised(ELSEWHERE)) == []
    # still waiting for version 1, not a version 2 that does not exist
    release_of(scenario.given(PAID).when(validated(ELSEWHERE, sequence=1)))


def test_a_revision_after_release_changes_nothing_and_is_reported_once() -> None:
    scenario, _ = released(ORDER)
    assert scenario.when(revised(TWO, "r2")) == [
        ev.OrderRevisedAfterRelease(order_id=OID, order=TWO, revision="r2")
    ]
    assert scenario.when(revised(TWO, "r2")) == []  # the same revision again
    assert scenario.when(validated(TWO, sequence=1)) == []
    assert scenario.when(reserved(2)) == []
