"""A held payment shipped in parts: given an authorised order -> when each shipment leaves ->
then its share is captured, so the captures add up to the order's total, never more."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder, SettlementMode
from ordo_payment.policy import Decided, Facts, Note, Order, decide
from ordo_payment.shipments import Line, shipped_share
from services.payment.tests.support import (
    authorised,
    captured,
    order_with,
    shipment,
    voided_and_refunded,
)

D = Decimal


def held_order(*lines: tuple[str, int, str], currency: str = "PLN") -> CanonicalOrder:
    held = {"method": "prepaid", "settlement": "held"}
    return order_with("split-ship", held, *lines, currency=currency)


def left(
    o: CanonicalOrder, number: int, *lines: tuple[str, int], status: str = "handed_to_carrier"
) -> ev.ShipmentStatusChanged:
    return shipment(o, number, status, *lines)


def test_each_of_three_shipments_captures_what_it_carries() -> None:
    o = held_order(("A", 2, "10.00"), ("B", 1, "5.50"), ("C", 3, "1.25"))  # 29.25
    s = authorised(o)
    assert s.when(left(o, 1, ("A", 2), status="packed")) == []  # still in the warehouse
    assert s.when(left(o, 1, ("A", 2))) == [
        ev.PaymentCaptured(
            order_id=o.order_id, amount=D("20.00"), currency="PLN", provider_ref="psp-1"
        )
    ]
    assert s.when(left(o, 1, ("A", 2), status="in_transit")) == []  # the same parcel again
    assert captured(s.when(left(o, 2, ("B", 1)))) == [D("5.50")]
    # A carrier may report a parcel delivered without the hand-over: it left all the same.
    assert captured(s.when(left(o, 3, ("C", 3), status="delivered"))) == [D("3.75")]
    assert s.when(left(o, 3, ("C", 3), status="delivered")) == []


def test_a_shipment_first_heard_of_as_failed_delivery_left_and_is_captured() -> None:
    """A carrier's first word may be that no one was home: the parcel was out for delivery,
    so it left the warehouse (inventory takes it off the shelf then, too)."""
    o = held_order(("A", 2, "10.00"), ("B", 1, "5.50"))
    s = authorised(o)
    assert captured(s.when(left(o, 1, ("A", 2), status="delivery_failed"))) == [D("20.00")]
    assert s.when(left(o, 1, ("A", 2), status="delivered")) == []  # the second attempt
    assert captured(s.when(left(o, 2, status="delivery_failed"))) == [D("5.50")]  # no lines


def test_one_sku_over_two_shipments_and_two_lines_is_valued_line_by_line() -> None:
    o = held_order(("A", 2, "4.00"), ("A", 1, "1.00"))  # the second A at a discount: 9.00
    s = authorised(o)
    assert captured(s.when(left(o, 1, ("A", 1)))) == [D("4.00")]
    assert captured(s.when(left(o, 2, ("A", 2)))) == [D("5.00")]


def test_shares_are_rounded_over_what_left_so_far_and_add_up_to_the_total() -> None:
    # Three parcels of 3.335, 3.335 and 3.33 (10.00): rounded one by one they would take
    # 3.34 + 3.34 + 3.33 = 10.01, more than the order.
    o = held_order(("A", 1, "3.335"), ("B", 1, "3.335"), ("C", 1, "3.33"))
    s = authorised(o)
    shares = [
        *captured(s.when(left(o, 1, ("A", 1)))),
        *captured(s.when(left(o, 2, ("B", 1)))),
        *captured(s.when(left(o, 3, ("C", 1)))),
    ]
    assert shares == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(shares) == o.total


def test_units_beyond_the_order_never_capture_more_than_it() -> None:
    o = held_order(("A", 1, "6.00"), ("B", 1, "4.00"))
    s = authorised(o)
    assert captured(s.when(left(o, 1, ("A", 3)))) == [D("6.00")]
    assert captured(s.when(left(o, 2, ("B", 1), ("X", 5)))) == [D("4.00")]


def test_cancelling_the_rest_captures_nothing_more_and_releases_the_authorisation() -> None:
    o = held_order(("A", 2, "10.00"), ("B", 1, "5.50"), ("C", 3, "1.25"))
    s = authorised(o)
    assert captured(s.when(left(o, 1, ("A", 2)))) == [D("20.00")]
    cancel = ev.OrderCancelled(order_id=o.order_id, reason="out of stock", cancelled_by="ola")
    # What was taken is refunded, as for any cancelled order; the 9.25 never taken is
    # released at the provider instead of left hanging on the customer's card.
    assert s.when(cancel) == voided_and_refunded(o, "out of stock", "20.00")
    assert s.when(left(o, 2, ("B", 1))) == []


def test_a_revision_of_the_lines_after_authorisation_values_shipments_by_them() -> None:
    o = held_order(("A", 1, "6.00"), ("B", 1, "4.00"))
    s = authorised(o)
    # The same 10.00, another SKU: the gate may still take it before release.
    swapped = o.model_copy(
        update={"lines": [o.lines[0], o.lines[1].model_copy(update={"sku": "Z"})]}
    )
    assert s.when(ev.OrderRevised(order_id=o.order_id, order=swapped)) == []
    assert captured(s.when(left(o, 1, ("Z", 1)))) == [D("4.00")]
    assert captured(s.when(left(o, 2, ("A", 1)))) == [D("6.00")]


def test_a_shipment_that_names_no_lines_captures_the_whole_order() -> None:
    """Published before shipments named their lines: its share cannot be told."""
    o = held_order(("A", 1, "6.00"), ("B", 1, "4.00"))
    s = authorised(o)
    assert captured(s.when(left(o, 1))) == [D("10.00")]
    assert s.when(left(o, 2, ("B", 1))) == []


def test_a_settlement_that_never_kept_its_lines_captures_the_whole_order_at_once() -> None:
    legacy = Order(SettlementMode.HELD, D("10.00"), "PLN")  # stored before lines were kept
    note = Note("authorized", D("10.00"), "PLN", "psp-1")
    facts = Facts("o1", legacy, {"n1": note}, shipments={"S1": {"A": 1}})
    events, done = decide(facts, Decided(outcome="authorized"))
    assert done.captured == D("10.00")
    assert captured(events) == [D("10.00")]


def test_shares_round_to_the_currencys_own_minor_unit() -> None:
    lines = [Line("A", 1, D("100.5")), Line("B", 1, D("99.5"))]
    assert shipped_share(lines, D("200"), "JPY", {"S1": {"A": 1}}) == D("101")
    assert shipped_share(lines, D("200"), "KWD", {"S1": {"A": 1}}) == D("100.500")
    assert shipped_share(lines, D("200"), "JPY", {"S1": {"A": 1}, "S2": {"B": 1}}) == D("200")


prices = st.decimals(min_value=0, max_value=50, places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 4), prices), min_size=1, max_size=4),
    st.randoms(use_true_random=False),
    st.integers(1, 5),
)
def test_however_the_units_are_split_the_captures_add_up_to_the_total(
    lines: list[tuple[str, int, Decimal]], rng: Random, parcels: int
) -> None:
    order = Order(
        SettlementMode.HELD,
        sum((price * quantity for _, quantity, price in lines), D(0)),
        "PLN",
        tuple(Line(sku, quantity, price) for sku, quantity, price in lines),
    )
    units = [sku for sku, quantity, _ in lines for _ in range(quantity)]
    rng.shuffle(units)
    shipments: dict[str, dict[str, int]] = {}
    for index, sku in enumerate(units):
        parcel = shipments.setdefault(f"S{index % parcels}", {})
        parcel[sku] = parcel.get(sku, 0) + 1
    note = Note("authorized", order.total, "PLN", "psp-1")
    facts, done, taken = Facts("o1", order, {"n1": note}), Decided(outcome="authorized"), []
    for shipment_id, carried in shipments.items():
        facts = replace(facts, shipments={**facts.shipments, shipment_id: carried})
        events, done = decide(facts, done)
        taken += captured(events)
    assert sum(taken, D(0)) == order.total
    assert all(amount > 0 for amount in taken)
