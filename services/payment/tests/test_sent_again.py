"""A parcel that came back to sender, sent again: given an order one of whose parcels came back
-> when the parcel sent in its place (a new shipment id, `replaces` the returned one, the same
lines) moves -> then the goods are paid for once: a held share taken when the first parcel
left is not taken again, cash on delivery is collected when the new parcel is delivered and
the first one's shortfall is no longer outstanding, a prepaid order sees nothing."""

from __future__ import annotations

from decimal import Decimal

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_payment.app import service
from ordo_runtime.testing import Scenario
from services.payment.tests.support import (
    accepted,
    authorisation,
    authorised,
    captured,
    not_collected,
    order_with,
    settlement_of,
    shipment,
    voided_and_refunded,
)

D = Decimal


# --- held: captured as goods leave ----------------------------------------------------------
def held_order() -> CanonicalOrder:
    """20.00 PLN of A, planned as two parcels of two (S1, S2): a parcel sent again is S3."""
    return order_with("held-again", {"method": "prepaid", "settlement": "held"}, ("A", 4, "5.00"))


def sent_again_once(o: CanonicalOrder) -> list[ev.Event]:
    """S1 left (its share taken) and came back; S3 left in its place."""
    return [
        shipment(o, 1, "handed_to_carrier", ("A", 2)),
        shipment(o, 1, "returned_to_sender", ("A", 2)),
        shipment(o, 3, "handed_to_carrier", ("A", 2), replaces=1),
    ]


def test_a_held_parcel_sent_again_captures_nothing_more() -> None:
    o = held_order()
    s = authorised(o)
    assert captured(s.when(shipment(o, 1, "handed_to_carrier", ("A", 2)))) == [D("10.00")]
    assert s.when(shipment(o, 1, "returned_to_sender", ("A", 2))) == []
    # The same two units leave again: counted as two more, they would complete the order and
    # charge the customer for S2's goods before S2 left.
    for status in ("handed_to_carrier", "in_transit", "delivered", "delivered"):
        assert s.when(shipment(o, 3, status, ("A", 2), replaces=1)) == []
    assert captured(s.when(shipment(o, 2, "handed_to_carrier", ("A", 2)))) == [D("10.00")]
    assert settlement_of(s, o).captured == o.total
    # The customer sends S3's goods back: the return's amount is refunded, as for any parcel.
    back = ev.ReturnReceived(
        order_id=o.order_id, return_id="r1", lines=[], amount=D("10.00"), currency="PLN"
    )
    assert s.when(back) == [
        ev.PaymentRefunded(
            order_id=o.order_id, amount=D("10.00"), currency="PLN", reason="return r1 received"
        )
    ]


def test_a_held_parcel_sent_again_twice_still_captures_nothing_more() -> None:
    o = held_order()
    s = authorised(o).given(*sent_again_once(o))
    assert s.when(shipment(o, 3, "returned_to_sender", ("A", 2), replaces=1)) == []
    assert s.when(shipment(o, 4, "handed_to_carrier", ("A", 2), replaces=3)) == []
    assert settlement_of(s, o).captured == D("10.00")


def test_a_held_share_never_taken_is_taken_once_by_the_parcel_sent_again() -> None:
    o = held_order()
    # The first parcel's news came before the order did: nothing was taken for it.
    s = Scenario(service).given(
        shipment(o, 1, "handed_to_carrier", ("A", 2)),
        shipment(o, 1, "returned_to_sender", ("A", 2)),
        ev.OrderReceived(order_id=o.order_id, order=o),
        authorisation(o),
    )
    assert captured(s.when(shipment(o, 3, "handed_to_carrier", ("A", 2), replaces=1))) == [
        D("10.00")
    ]
    assert s.when(shipment(o, 3, "in_transit", ("A", 2), replaces=1)) == []
    assert s.when(shipment(o, 1, "returned_to_sender", ("A", 2))) == []  # the first, late
    assert captured(s.when(shipment(o, 2, "handed_to_carrier", ("A", 2)))) == [D("10.00")]
    assert settlement_of(s, o).captured == o.total


def test_a_held_order_cancelled_after_its_parcel_sent_again_came_back_gives_back_one_share() -> (
    None
):
    """Both parcels came back, so the order may be cancelled: what was taken (once) is
    refunded, and the part of the authorisation never taken released."""
    o = held_order()
    s = authorised(o).given(
        *sent_again_once(o), shipment(o, 3, "returned_to_sender", ("A", 2), replaces=1)
    )
    cancel = ev.OrderCancelled(order_id=o.order_id, reason="customer away", cancelled_by="ola")
    assert s.when(cancel) == voided_and_refunded(o, "customer away", "10.00")


# --- cash on delivery: collected as parcels are delivered -----------------------------------
def cod_order(*lines: tuple[str, int, str]) -> CanonicalOrder:
    return order_with("cod-again", {"method": "cash_on_delivery"}, *lines)


def test_a_parcel_sent_again_and_delivered_is_collected_and_the_order_in_full() -> None:
    o = cod_order(("A", 2, "12.50"), ("B", 1, "7.35"))  # 32.35
    s = accepted(o)
    assert s.when(shipment(o, 1, "returned_to_sender", ("A", 2))) == [not_collected(o, 1, "25.00")]
    assert captured(s.when(shipment(o, 2, "delivered", ("B", 1)))) == [D("7.35")]
    assert s.when(shipment(o, 3, "in_transit", ("A", 2), replaces=1)) == []
    assert captured(s.when(shipment(o, 3, "delivered", ("A", 2), replaces=1))) == [D("25.00")]
    version = settlement_of(s, o).version
    assert s.when(shipment(o, 3, "delivered", ("A", 2), replaces=1)) == []  # said again
    assert s.when(shipment(o, 1, "returned_to_sender", ("A", 2))) == []  # the first, again
    case = settlement_of(s, o)
    assert (case.version, case.captured, case.uncollected) == (version, o.total, {})
    # Everything sent back by the customer: all that was collected is given back.
    back = ev.ReturnReceived(
        order_id=o.order_id, return_id="r1", lines=[], amount=o.total, currency="PLN"
    )
    assert [e.amount for e in s.when(back) if isinstance(e, ev.PaymentRefunded)] == [o.total]


def test_once_a_parcel_sent_again_is_delivered_later_shortfalls_do_not_count_it() -> None:
    # 3.335 + 3.335 + 3.33: the share of what came back depends on what else did.
    o = cod_order(("A", 1, "3.335"), ("B", 1, "3.335"), ("C", 1, "3.33"))
    s = accepted(o)
    assert s.when(shipment(o, 1, "returned_to_sender", ("A", 1))) == [not_collected(o, 1, "3.33")]
    assert captured(s.when(shipment(o, 4, "delivered", ("A", 1), replaces=1))) == [D("3.34")]
    # Counting A as still uncollected, B would be said short of 3.34, and the collections
    # and shortfalls would add up to 10.01.
    assert s.when(shipment(o, 2, "returned_to_sender", ("B", 1))) == [not_collected(o, 2, "3.33")]
    assert captured(s.when(shipment(o, 3, "delivered", ("C", 1)))) == [D("3.33")]
    case = settlement_of(s, o)
    assert case.captured + sum(case.uncollected.values(), D(0)) == o.total
    assert case.uncollected == {f"{o.order_id}-S2": D("3.33")}


def test_after_a_parcel_sent_again_is_delivered_one_of_unknown_contents_is_short_the_rest() -> None:
    o = cod_order(("A", 2, "12.50"), ("B", 1, "7.35"))
    s = accepted(o)
    s.given(
        shipment(o, 1, "returned_to_sender", ("A", 2)),
        shipment(o, 3, "delivered", ("A", 2), replaces=1),
    )
    # All not collected yet is 7.35: the first parcel's 25.00 was collected after all.
    assert s.when(shipment(o, 2, "returned_to_sender")) == [not_collected(o, 2, "7.35")]


def test_a_parcel_sent_again_that_comes_back_is_short_what_the_first_was_once() -> None:
    o = cod_order(("A", 2, "12.50"), ("B", 1, "7.35"))
    s = accepted(o)
    assert s.when(shipment(o, 1, "returned_to_sender", ("A", 2))) == [not_collected(o, 1, "25.00")]
    again = shipment(o, 3, "returned_to_sender", ("A", 2), replaces=1)
    # The same goods: 25.00 short, not nothing (as if A were gone twice) nor 25.00 more.
    assert s.when(again) == [not_collected(o, 3, "25.00")]
    assert s.when(again) == []
    assert settlement_of(s, o).uncollected == {f"{o.order_id}-S3": D("25.00")}
    # Sent a third time, and delivered this time: collected in full.
    assert captured(s.when(shipment(o, 4, "delivered", ("A", 2), replaces=3))) == [D("25.00")]
    assert captured(s.when(shipment(o, 2, "delivered", ("B", 1)))) == [D("7.35")]
    case = settlement_of(s, o)
    assert (case.captured, case.uncollected) == (o.total, {})


# --- prepaid in full: paid before anything left ----------------------------------------------
def test_a_prepaid_parcel_sent_again_neither_captures_nor_refunds() -> None:
    for settlement in ("full", "split"):
        o = order_with(
            "prepaid-again", {"method": "prepaid", "settlement": settlement}, ("A", 2, "5")
        )
        s = Scenario(service).given(
            ev.OrderReceived(order_id=o.order_id, order=o), authorisation(o)
        )
        s.given(
            shipment(o, 1, "handed_to_carrier", ("A", 2)),
            shipment(o, 1, "returned_to_sender", ("A", 2)),
        )
        version = settlement_of(s, o).version
        for status in ("handed_to_carrier", "delivered", "returned_to_sender"):
            assert s.when(shipment(o, 2, status, ("A", 2), replaces=1)) == []
        case = settlement_of(s, o)
        assert (case.version, case.captured, case.refunded) == (version, o.total, D(0))
