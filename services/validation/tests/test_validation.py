"""Given events -> when -> then events, for the validation service."""

from __future__ import annotations

import pytest

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import CanonicalOrder, Correction
from ordo_runtime.testing import Scenario, sample_order
from ordo_validation.app import service

make_order = sample_order


def received(order: CanonicalOrder) -> ev.OrderReceived:
    return ev.OrderReceived(order_id=order.order_id, order=order)


def codes(events: list[ev.Event]) -> list[str]:
    (verdict,) = events
    assert isinstance(verdict, ev.OrderValidationFailed)
    return [issue.code for issue in verdict.issues]


def test_a_complete_order_is_validated() -> None:
    order = make_order()
    assert Scenario(service).when(received(order)) == [
        ev.OrderValidated(order_id=order.order_id, order=order, attempt=1)
    ]


@pytest.mark.parametrize(
    ("customer", "code"),
    [
        ({"email": "jan@example.com"}, "phone.missing"),
        ({"email": "jan@example.com", "phone": "123"}, "phone.invalid"),
        ({"phone": "+48 601 234 567"}, "email.missing"),
        ({"phone": "+48 601 234 567", "email": "jan@@example"}, "email.invalid"),
    ],
)
def test_customer_contact_is_checked(customer: dict[str, str], code: str) -> None:
    assert codes(Scenario(service).when(received(make_order(customer=customer)))) == [code]


def test_courier_needs_an_address_but_store_pickup_does_not() -> None:
    courier = make_order(delivery={"method": "courier"})
    pickup = make_order(external_id="W-2", delivery={"method": "store_pickup"})
    scenario = Scenario(service)
    assert codes(scenario.when(received(courier))) == ["delivery.address_missing"]
    assert isinstance(scenario.when(received(pickup))[0], ev.OrderValidated)


def test_parcel_locker_needs_a_pickup_point() -> None:
    order = make_order(delivery={"method": "parcel_locker"})
    assert codes(Scenario(service).when(received(order))) == ["delivery.pickup_point_missing"]


def test_a_phone_is_checked_against_the_orders_market() -> None:
    german = make_order(market="DE", customer={"email": "a@example.de", "phone": "030 901820"})
    assert isinstance(Scenario(service).when(received(german))[0], ev.OrderValidated)


def test_a_corrected_order_is_validated_again_once() -> None:
    order = make_order(customer={"email": "jan@example.com"})
    fixed = Correction(phone="+48 601 234 567").apply(order)
    corrected = ev.OrderCorrected(
        order_id=order.order_id,
        ticket_id="t-1",
        corrected_by="ola",
        correction=Correction(phone="+48 601 234 567"),
        order=fixed,
    )
    scenario = Scenario(service).given(received(order))
    assert scenario.when(corrected) == [
        ev.OrderValidated(order_id=order.order_id, order=fixed, attempt=2)
    ]
    assert scenario.when(corrected) == []  # the same correction delivered again


def test_a_redelivered_order_changes_nothing() -> None:
    order = make_order()
    scenario = Scenario(service)
    first = received(order)
    envelope = Envelope(data=first, source="/test")
    assert len(scenario.when(envelope)) == 1
    assert scenario.when(envelope) == []  # same event id at a new offset (a relay duplicate)
    # the same record again (Kafka redelivering offset 0) is skipped before any handler runs
    assert scenario.deliver("ordo.orders", envelope.value(), envelope.headers(), offset=0) == []


def test_an_undecodable_record_is_dead_lettered_with_its_reason() -> None:
    scenario = Scenario(service)
    headers = [("ce_type", b"OrderReceived"), ("ce_id", b"x"), ("ce_source", b"/x")]
    assert scenario.deliver("ordo.orders", b"{not json", headers, key=b"order-1") == []
    (letter,) = scenario.dead_letters
    assert letter.kafka_value() == b"{not json"
    assert "not JSON" in letter.headers["dlq_reason"]
    assert letter.headers["dlq_key"] == "b3JkZXItMQ=="  # base64 of the original key, for a retry
