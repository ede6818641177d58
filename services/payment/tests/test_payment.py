"""Given an order and provider notifications -> then the settlement decision."""

from __future__ import annotations

from decimal import Decimal

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder, Correction
from ordo_payment.app import service
from ordo_runtime.testing import Scenario, sample_order

PREPAID = sample_order(payment={"method": "prepaid"})  # total 10.00 PLN
ORDER_ID = PREPAID.order_id


def received(order: CanonicalOrder) -> ev.OrderReceived:
    return ev.OrderReceived(order_id=order.order_id, order=order)


def notified(nid: str, status: str, amount: str = "10.00", reason: str | None = None) -> ev.Event:
    return ev.PaymentNotificationReceived(
        order_id=ORDER_ID,
        notification_id=nid,
        status=status,
        amount=Decimal(amount),
        currency="PLN",
        provider_ref=f"ref-{nid}",
        reason=reason,
    )


def test_cash_on_delivery_passes_at_once() -> None:
    order = sample_order()
    assert Scenario(service).when(received(order)) == [
        ev.CashOnDeliveryAccepted(order_id=order.order_id, amount=Decimal("10.00"), currency="PLN")
    ]


def test_a_prepaid_order_waits_for_the_provider() -> None:
    scenario = Scenario(service)
    assert scenario.when(received(PREPAID)) == []
    assert scenario.when(notified("n1", "authorized")) == [
        ev.PaymentAuthorized(
            order_id=ORDER_ID, amount=Decimal("10.00"), currency="PLN", provider_ref="ref-n1"
        ),
        # A full payment is captured as soon as it is authorised.
        ev.PaymentCaptured(
            order_id=ORDER_ID, amount=Decimal("10.00"), currency="PLN", provider_ref="ref-n1"
        ),
    ]


def test_a_notification_before_the_order_is_decided_when_the_order_arrives() -> None:
    scenario = Scenario(service)
    assert scenario.when(notified("n1", "authorized")) == []
    authorized, captured = scenario.when(received(PREPAID))
    assert isinstance(authorized, ev.PaymentAuthorized)
    assert isinstance(captured, ev.PaymentCaptured)


def test_a_decline_fails_and_a_later_authorization_recovers() -> None:
    scenario = Scenario(service).given(received(PREPAID))
    assert scenario.when(notified("n1", "declined", reason="insufficient funds")) == [
        ev.PaymentFailed(order_id=ORDER_ID, reason="insufficient funds", provider_ref="ref-n1")
    ]
    assert isinstance(scenario.when(notified("n2", "authorized"))[0], ev.PaymentAuthorized)


def test_the_same_notification_twice_changes_nothing() -> None:
    scenario = Scenario(service).given(received(PREPAID), notified("n1", "authorized"))
    assert scenario.when(notified("n1", "authorized")) == []
    assert scenario.when(notified("n9", "declined")) == []  # already paid


def test_too_little_authorized_is_a_failure() -> None:
    scenario = Scenario(service).given(received(PREPAID))
    (failed,) = scenario.when(notified("n1", "authorized", amount="5.00"))
    assert isinstance(failed, ev.PaymentFailed)
    assert "less than the order total" in failed.reason


def test_an_operator_switching_to_cash_on_delivery_settles_it() -> None:
    scenario = Scenario(service).given(received(PREPAID), notified("n1", "declined"))
    correction = Correction(payment_method="cash_on_delivery")
    corrected = ev.OrderCorrected(
        order_id=ORDER_ID,
        ticket_id="t1",
        corrected_by="ola",
        correction=correction,
        order=correction.apply(PREPAID),
    )
    assert scenario.when(corrected) == [
        ev.CashOnDeliveryAccepted(order_id=ORDER_ID, amount=Decimal("10.00"), currency="PLN")
    ]
    assert scenario.when(corrected) == []
