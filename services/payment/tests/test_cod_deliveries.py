"""Cash on delivery shipped in parts: given an accepted order -> when each shipment is
delivered -> then the courier's collection for what it carried is captured, so the
collections add up to the order's total; a parcel not delivered is not collected, and one
returned to sender is said to be not collected, for what it leaves short of the total."""

from __future__ import annotations

from decimal import Decimal

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_payment.app import service
from ordo_runtime.testing import Scenario
from services.payment.tests.support import (
    accepted,
    captured,
    not_collected,
    order_with,
    settlement_of,
    shipment,
)

D = Decimal


def cod_order(*lines: tuple[str, int, str]) -> CanonicalOrder:
    return order_with("cod-split", {"method": "cash_on_delivery"}, *lines)


parcel = shipment


def test_each_delivered_shipment_collects_what_it_carries_and_the_last_the_rest() -> None:
    # 3.335 + 3.335 + 3.33: rounded parcel by parcel the courier would collect 10.01.
    o = cod_order(("A", 1, "3.335"), ("B", 1, "3.335"), ("C", 1, "3.33"))
    s = accepted(o)
    assert s.when(parcel(o, 1, "in_transit", ("A", 1))) == []  # on its way: nothing paid
    assert s.when(parcel(o, 1, "delivered", ("A", 1))) == [
        ev.PaymentCaptured(order_id=o.order_id, amount=D("3.34"), currency="PLN")
    ]
    assert s.when(parcel(o, 1, "delivered", ("A", 1))) == []  # the same delivery again
    shares = [
        D("3.34"),
        *captured(s.when(parcel(o, 2, "delivered", ("B", 1)))),
        *captured(s.when(parcel(o, 3, "delivered", ("C", 1)))),
    ]
    assert shares == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(shares) == o.total


def test_a_parcel_whose_delivery_failed_is_not_collected_until_it_is_delivered() -> None:
    o = cod_order(("A", 2, "12.50"), ("B", 1, "7.35"))  # 32.35
    s = accepted(o)
    assert captured(s.when(parcel(o, 1, "delivered", ("A", 2)))) == [D("25.00")]
    assert s.when(parcel(o, 2, "delivery_failed", ("B", 1))) == []  # no one home: no cash
    assert s.when(parcel(o, 2, "in_transit", ("B", 1))) == []  # a second attempt
    assert captured(s.when(parcel(o, 2, "delivered", ("B", 1)))) == [D("7.35")]


def test_a_delivered_shipment_that_names_no_lines_collects_the_whole_order() -> None:
    """Published before shipments named their lines: what it carried cannot be told."""
    o = cod_order(("A", 2, "12.50"), ("B", 1, "7.35"))
    s = accepted(o)
    assert captured(s.when(parcel(o, 1, "delivered"))) == [D("32.35")]
    assert s.when(parcel(o, 2, "delivered", ("B", 1))) == []
    # After a parcel that did name its lines, the one that does not takes the rest.
    s = accepted(o)
    assert captured(s.when(parcel(o, 1, "delivered", ("A", 2)))) == [D("25.00")]
    assert captured(s.when(parcel(o, 2, "delivered"))) == [D("7.35")]


def test_a_shipment_first_heard_of_as_failed_delivery_collects_nothing() -> None:
    """It left the warehouse, but no cash changed hands: with or without its lines."""
    o = cod_order(("A", 2, "12.50"), ("B", 1, "7.35"))
    s = accepted(o)
    assert s.when(parcel(o, 1, "delivery_failed", ("A", 2))) == []
    assert s.when(parcel(o, 2, "delivery_failed")) == []
    assert captured(s.when(parcel(o, 1, "delivered", ("A", 2)))) == [D("25.00")]


def test_a_parcel_returned_to_sender_is_not_collected_and_says_so_once() -> None:
    o = cod_order(("A", 2, "12.50"), ("B", 1, "7.35"))  # 32.35
    s = accepted(o)
    assert s.when(parcel(o, 1, "in_transit", ("A", 2), ("B", 1))) == []
    back = parcel(o, 1, "returned_to_sender", ("A", 2), ("B", 1))
    assert s.when(back) == [not_collected(o, 1, "32.35")]  # no cash, and the shortfall said
    assert s.when(back) == []  # the carrier said it again
    case = settlement_of(s, o)
    assert (case.captured, case.uncollected) == (D(0), {f"{o.order_id}-S1": D("32.35")})


def test_what_came_back_and_what_was_collected_add_up_to_the_total() -> None:
    # 3.335 + 3.335 + 3.33: the last parcel delivered no longer takes "the rest".
    o = cod_order(("A", 1, "3.335"), ("B", 1, "3.335"), ("C", 1, "3.33"))
    s = accepted(o)
    assert captured(s.when(parcel(o, 2, "delivered", ("B", 1)))) == [D("3.34")]
    assert s.when(parcel(o, 1, "returned_to_sender", ("A", 1))) == [not_collected(o, 1, "3.33")]
    assert captured(s.when(parcel(o, 3, "delivered", ("C", 1)))) == [D("3.33")]
    assert D("3.34") + D("3.33") + D("3.33") == o.total
    # Two parcels of three back: each what it takes from what was still to come.
    s = accepted(o)
    assert s.when(parcel(o, 1, "returned_to_sender", ("A", 1))) == [not_collected(o, 1, "3.33")]
    assert s.when(parcel(o, 2, "returned_to_sender", ("B", 1))) == [not_collected(o, 2, "3.34")]
    assert captured(s.when(parcel(o, 3, "delivered", ("C", 1)))) == [D("3.33")]


def test_a_returned_parcel_that_names_no_lines_leaves_all_not_collected_yet() -> None:
    o = cod_order(("A", 2, "12.50"), ("B", 1, "7.35"))
    s = accepted(o)
    assert captured(s.when(parcel(o, 1, "delivered", ("A", 2)))) == [D("25.00")]
    assert s.when(parcel(o, 2, "returned_to_sender")) == [not_collected(o, 2, "7.35")]


def test_a_prepaid_parcel_returned_to_sender_is_neither_refunded_nor_recorded() -> None:
    """An operator decides between sending it again and a refund (ticketing asks them)."""
    for settlement in ("full", "held"):
        o = order_with(
            "prepaid-back", {"method": "prepaid", "settlement": settlement}, ("A", 2, "5")
        )
        paid = ev.PaymentNotificationReceived(
            order_id=o.order_id,
            notification_id="n1",
            status="authorized",
            amount=o.total,
            currency="PLN",
            provider_ref="psp-1",
        )
        s = Scenario(service).given(ev.OrderReceived(order_id=o.order_id, order=o), paid)
        s.when(parcel(o, 1, "handed_to_carrier", ("A", 2)))
        version = settlement_of(s, o).version
        assert s.when(parcel(o, 1, "returned_to_sender", ("A", 2))) == []
        case = settlement_of(s, o)
        assert (case.version, case.captured, case.refunded) == (version, D("10"), D(0))
