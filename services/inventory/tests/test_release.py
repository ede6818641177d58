"""Given a reservation -> when the order is cancelled, its payment fails or succeeds, or goods
come back -> then stock is released, kept, taken again or restocked."""

from __future__ import annotations

from decimal import Decimal

from ordo_events import events as ev
from services.inventory.tests.support import (
    line,
    order_of,
    reservation,
    stock,
    stocked,
    validated,
)


def cancelled(order_id: str) -> ev.OrderCancelled:
    return ev.OrderCancelled(order_id=order_id, reason="customer asked", cancelled_by="ola")


def failed(order_id: str) -> ev.PaymentFailed:
    return ev.PaymentFailed(order_id=order_id, reason="card declined")


def authorized(order_id: str) -> ev.PaymentAuthorized:
    return ev.PaymentAuthorized(
        order_id=order_id, amount=Decimal("10"), currency="PLN", provider_ref="psp-1"
    )


def test_a_cancelled_order_releases_its_stock_once() -> None:
    scenario = stocked(A=5)
    order = order_of("1", ("A", 2))
    scenario.when(validated(order))
    assert scenario.when(cancelled(order.order_id)) == [
        ev.StockReleased(order_id=order.order_id, lines=[line("A", 2)], reason="cancelled")
    ]
    assert scenario.when(cancelled(order.order_id)) == []
    assert stock(scenario, "A").available("main") == 5


def test_an_order_cancelled_before_validation_reserves_nothing_later() -> None:
    scenario = stocked(A=5)
    order = order_of("1", ("A", 2))
    assert scenario.when(cancelled(order.order_id)) == []
    assert scenario.when(validated(order)) == []
    assert stock(scenario, "A").available("main") == 5


def test_a_failed_payment_releases_and_a_later_payment_takes_the_stock_again() -> None:
    scenario = stocked(A=5)
    order = order_of("1", ("A", 2), payment={"method": "prepaid"})
    scenario.when(validated(order))
    assert scenario.when(failed(order.order_id)) == [
        ev.StockReleased(order_id=order.order_id, lines=[line("A", 2)], reason="payment_failed")
    ]
    assert stock(scenario, "A").available("main") == 5
    assert scenario.when(failed(order.order_id)) == []  # a second decline frees nothing more
    assert scenario.when(authorized(order.order_id)) == [
        ev.StockReserved(order_id=order.order_id, lines=[line("A", 2)])
    ]
    assert stock(scenario, "A").available("main") == 3


def test_a_paid_order_is_settled_and_keeps_its_stock_when_a_late_decline_arrives() -> None:
    scenario = stocked(A=5)
    order = order_of("1", ("A", 2), payment={"method": "prepaid"})
    scenario.when(validated(order))
    assert scenario.when(authorized(order.order_id)) == []
    assert reservation(scenario, order.order_id).settled
    assert scenario.when(failed(order.order_id)) == []
    assert stock(scenario, "A").reserved == {"main": 2}


def test_cash_on_delivery_before_validation_settles_the_reservation_to_come() -> None:
    scenario = stocked(A=5)
    order = order_of("1", ("A", 1))
    accepted = ev.CashOnDeliveryAccepted(
        order_id=order.order_id, amount=Decimal("5"), currency="PLN"
    )
    assert scenario.when(accepted) == []
    assert isinstance(scenario.when(validated(order))[0], ev.StockReserved)
    held = reservation(scenario, order.order_id)
    assert held.settled
    assert held.reserved


def test_an_order_released_for_fulfilment_is_settled() -> None:
    scenario = stocked(A=5)
    order = order_of("1", ("A", 1))
    scenario.when(validated(order))
    ready = ev.OrderReadyForFulfillment(order_id=order.order_id, lines=[line("A", 1)])
    assert scenario.when(ready) == []
    assert reservation(scenario, order.order_id).settled


def test_returned_units_go_back_on_hand_once_per_return() -> None:
    scenario = stocked(A=5)
    order = order_of("1", ("A", 2))
    scenario.when(validated(order))
    received = ev.ReturnReceived(
        order_id=order.order_id,
        return_id="r-1",
        lines=[line("A", 1), line("B", 1, "south")],
        amount=Decimal("5"),
        currency="PLN",
    )
    assert scenario.when(received) == [
        ev.StockReleased(order_id=order.order_id, lines=received.lines, reason="returned")
    ]
    assert scenario.when(received) == []
    assert stock(scenario, "A").on_hand == {"main": 6}
    assert stock(scenario, "B").available("south") == 1
