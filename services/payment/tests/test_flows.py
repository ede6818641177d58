"""Each way an order is settled, given events -> when an event -> then what payment announces."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import CanonicalOrder
from ordo_events.topics import FULFILLMENT, TICKETS, topic_for
from ordo_payment.app import service
from ordo_runtime.testing import Scenario, sample_order

D = Decimal


def order(settlement: str | None = None, **payment: Any) -> CanonicalOrder:
    """An order of 10.00 PLN, settled as asked."""
    if settlement == "cash_on_delivery":
        return sample_order()
    return sample_order(payment={"method": "prepaid", "settlement": settlement, **payment})


def received(o: CanonicalOrder) -> ev.OrderReceived:
    return ev.OrderReceived(order_id=o.order_id, order=o)


def note(
    o: CanonicalOrder, nid: str, status: str, amount: str = "10.00", ref: str = "", cur: str = "PLN"
) -> ev.PaymentNotificationReceived:
    return ev.PaymentNotificationReceived(
        order_id=o.order_id,
        notification_id=nid,
        status=status,
        amount=D(amount),
        currency=cur,
        provider_ref=ref or f"psp-{nid}",
        reason="card declined" if status == "declined" else None,
    )


def shipment(o: CanonicalOrder, status: str) -> ev.ShipmentStatusChanged:
    return ev.ShipmentStatusChanged(order_id=o.order_id, shipment_id="s1", status=status)


def cancelled(o: CanonicalOrder) -> ev.OrderCancelled:
    return ev.OrderCancelled(
        order_id=o.order_id, reason="customer changed mind", cancelled_by="ola"
    )


def refunded_on_cancel(o: CanonicalOrder) -> ev.PaymentRefunded:
    """The whole 10.00 PLN given back, because of `cancelled(o)`."""
    return ev.PaymentRefunded(
        order_id=o.order_id,
        amount=D("10.00"),
        currency="PLN",
        reason="order cancelled: customer changed mind",
    )


def returned(o: CanonicalOrder, rid: str, amount: str, cur: str = "PLN") -> ev.ReturnReceived:
    return ev.ReturnReceived(
        order_id=o.order_id, return_id=rid, lines=[], amount=D(amount), currency=cur
    )


def kinds(events: list[ev.Event]) -> list[str]:
    return [type(e).__name__ for e in events]


# --- full ---------------------------------------------------------------------------------
def test_full_is_authorised_and_captured_at_once() -> None:
    o = order("full")
    s = Scenario(service).given(received(o))
    authorized, captured = s.when(note(o, "n1", "authorized"))
    assert authorized == ev.PaymentAuthorized(
        order_id=o.order_id, amount=D("10.00"), currency="PLN", provider_ref="psp-n1"
    )
    assert captured == ev.PaymentCaptured(
        order_id=o.order_id, amount=D("10.00"), currency="PLN", provider_ref="psp-n1"
    )
    assert s.when(note(o, "n2", "captured", ref="psp-n1")) == []  # the provider confirms


def test_a_capture_before_its_authorisation_settles_once() -> None:
    o = order("full")
    s = Scenario(service).given(received(o))
    assert kinds(s.when(note(o, "n2", "captured", ref="psp-1"))) == [
        "PaymentAuthorized",
        "PaymentCaptured",
    ]
    assert s.when(note(o, "n1", "authorized", ref="psp-1")) == []


def test_a_channel_that_says_paid_needs_no_provider_notification() -> None:
    o = order("full", status="paid", reference="allegro-pay-7")
    assert kinds(Scenario(service).when(received(o))) == ["PaymentAuthorized", "PaymentCaptured"]


def test_a_payment_in_another_currency_fails_with_the_reason() -> None:
    o = order("full")
    s = Scenario(service).given(received(o))
    (failed,) = s.when(note(o, "n1", "authorized", cur="EUR"))
    assert isinstance(failed, ev.PaymentFailed)
    assert failed.reason.startswith("paid in EUR but the order is in PLN")


def test_overpayment_captured_is_refunded_the_excess() -> None:
    o = order("full")
    s = Scenario(service).given(received(o))
    *_, captured, refunded = s.when(note(o, "n1", "captured", amount="12.50"))
    assert captured == ev.PaymentCaptured(
        order_id=o.order_id, amount=D("12.50"), currency="PLN", provider_ref="psp-n1"
    )
    assert isinstance(refunded, ev.PaymentRefunded)
    assert refunded.amount == D("2.50")
    assert refunded.reason.startswith("overpaid")


def test_cancel_after_capture_refunds_what_was_taken() -> None:
    o = order("full")
    s = Scenario(service).given(received(o), note(o, "n1", "authorized"))
    assert s.when(cancelled(o)) == [refunded_on_cancel(o)]
    assert s.when(cancelled(o)) == []
    # The provider confirming that refund is not a second one.
    assert s.when(note(o, "n9", "refunded", ref="psp-n1")) == []


# --- held ---------------------------------------------------------------------------------
def test_held_is_authorised_at_the_order_and_captured_at_shipment() -> None:
    o = order("held")
    s = Scenario(service).given(received(o))
    assert kinds(s.when(note(o, "n1", "authorized"))) == ["PaymentAuthorized"]
    assert s.when(shipment(o, "packed")) == []
    assert s.when(shipment(o, "handed_to_carrier")) == [
        ev.PaymentCaptured(
            order_id=o.order_id, amount=D("10.00"), currency="PLN", provider_ref="psp-n1"
        )
    ]
    assert s.when(shipment(o, "delivered")) == []


def test_held_cancelled_before_shipment_is_voided_not_refunded() -> None:
    o = order("held")
    s = Scenario(service).given(received(o), note(o, "n1", "authorized"))
    assert s.when(cancelled(o)) == [
        ev.PaymentVoided(
            order_id=o.order_id,
            reason="order cancelled: customer changed mind",
            provider_ref="psp-n1",
        )
    ]
    assert s.when(shipment(o, "handed_to_carrier")) == []  # nothing captured after a cancel


def test_only_the_gates_cancellation_counts_not_one_on_ordo_tickets() -> None:
    # Fulfillment decides cancellations; one on ticketing's topic (from before it did, or
    # from a ticketing that must not write it) would refund goods that may have left.
    o = order("full")
    s = Scenario(service).given(received(o), note(o, "n1", "authorized"))
    envelope = Envelope(data=cancelled(o), source="/ordo/ticketing")
    assert topic_for(ev.OrderCancelled) == FULFILLMENT
    assert s.deliver(TICKETS.name, envelope.value(), envelope.headers(), envelope.key()) == []
    assert kinds(s.when(cancelled(o))) == ["PaymentRefunded"]


def test_held_cancelled_after_shipment_is_refunded() -> None:
    o = order("held")
    s = Scenario(service).given(
        received(o), note(o, "n1", "authorized"), shipment(o, "handed_to_carrier")
    )
    assert kinds(s.when(cancelled(o))) == ["PaymentRefunded"]


# --- split --------------------------------------------------------------------------------
def test_split_is_paid_when_its_parts_cover_the_total() -> None:
    o = order("split")
    s = Scenario(service).given(received(o))
    assert s.when(note(o, "n1", "authorized", amount="4.00")) == []  # a part is no failure
    assert s.when(note(o, "n2", "captured", amount="3.00")) == []
    authorized, captured = s.when(note(o, "n3", "authorized", amount="3.00"))
    assert authorized == ev.PaymentAuthorized(
        order_id=o.order_id, amount=D("10.00"), currency="PLN", provider_ref="psp-n1,psp-n2,psp-n3"
    )
    assert isinstance(captured, ev.PaymentCaptured)
    assert captured.amount == D("10.00")


def test_a_full_payment_short_of_the_total_fails() -> None:
    o = order("full")
    s = Scenario(service).given(received(o))
    (failed,) = s.when(note(o, "n1", "authorized", amount="4.00"))
    assert isinstance(failed, ev.PaymentFailed)
    assert failed.reason == "authorized 4.00 is less than the order total 10.00"


# --- cash on delivery ---------------------------------------------------------------------
def test_cash_on_delivery_is_accepted_at_once_and_paid_on_delivery() -> None:
    o = order("cash_on_delivery")
    s = Scenario(service)
    assert kinds(s.when(received(o))) == ["CashOnDeliveryAccepted"]
    assert s.when(shipment(o, "handed_to_carrier")) == []
    assert s.when(shipment(o, "delivered")) == [
        ev.PaymentCaptured(order_id=o.order_id, amount=D("10.00"), currency="PLN")
    ]
    assert s.when(shipment(o, "delivered")) == []


# --- returns ------------------------------------------------------------------------------
def test_a_return_is_refunded_its_amount_once_and_never_beyond_what_was_taken() -> None:
    o = order("full")
    s = Scenario(service).given(received(o), note(o, "n1", "captured"))
    assert s.when(returned(o, "r1", "4.00")) == [
        ev.PaymentRefunded(
            order_id=o.order_id, amount=D("4.00"), currency="PLN", reason="return r1 received"
        )
    ]
    assert s.when(returned(o, "r1", "4.00")) == []
    (rest,) = s.when(returned(o, "r2", "9.00"))
    assert isinstance(rest, ev.PaymentRefunded)
    assert rest.amount == D("6.00")  # 10.00 taken, 4.00 given back already


def test_a_return_in_another_currency_is_a_dead_letter_with_its_reason() -> None:
    o = order("full")
    s = Scenario(service).given(received(o), note(o, "n1", "captured"))
    assert s.when(returned(o, "r1", "4.00", cur="EUR")) == []
    assert len(s.dead_letters) == 1


@pytest.mark.parametrize("settlement", ["full", "held", "split"])
def test_the_same_notification_twice_changes_nothing(settlement: str) -> None:
    o = order(settlement)
    s = Scenario(service).given(received(o), note(o, "n1", "authorized"))
    assert s.when(note(o, "n1", "authorized")) == []
    assert s.when(note(o, "n1", "declined")) == []  # same id: a re-send, whatever it says


def test_a_held_authorisation_voided_by_the_provider_is_announced_voided() -> None:
    o = order("held")
    s = Scenario(service).given(received(o), note(o, "n1", "authorized"))
    assert s.when(note(o, "n2", "voided", ref="psp-n1")) == [
        ev.PaymentVoided(order_id=o.order_id, reason="voided by the provider", provider_ref=None)
    ]
    assert s.when(shipment(o, "handed_to_carrier")) == []  # nothing left to capture


def test_a_revised_order_is_decided_on_its_new_total() -> None:
    o = order("full")
    bigger = o.model_copy(update={"lines": [o.lines[0].model_copy(update={"quantity": 2})]})
    s = Scenario(service).given(received(o))
    assert s.when(ev.OrderRevised(order_id=o.order_id, order=bigger)) == []
    (failed,) = s.when(note(o, "n1", "authorized", amount="10.00"))
    assert isinstance(failed, ev.PaymentFailed)
    assert failed.reason == "authorized 10.00 is less than the order total 20.00"


# --- a parcel returned to sender, then the order cancelled (all its parcels are back) -----
def test_a_held_order_whose_parcel_came_back_is_refunded_when_cancelled() -> None:
    o = order("held")
    s = Scenario(service).given(
        received(o), note(o, "n1", "authorized"), shipment(o, "handed_to_carrier")
    )
    assert s.when(shipment(o, "returned_to_sender")) == []  # an operator decides
    assert s.when(cancelled(o)) == [refunded_on_cancel(o)]


def test_a_cash_on_delivery_order_whose_parcel_came_back_refunds_nothing_when_cancelled() -> None:
    o = order("cash_on_delivery")
    s = Scenario(service).given(received(o), shipment(o, "handed_to_carrier"))
    assert kinds(s.when(shipment(o, "returned_to_sender"))) == ["CashOnDeliveryNotCollected"]
    assert s.when(cancelled(o)) == []  # nothing was collected: nothing to give back
