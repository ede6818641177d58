"""OrderState's fold of a cancellation: a request is not yet a cancellation, a refusal leaves
the order as it was, and only the release gate's OrderCancelled cancels it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.state import OrderState, Status, replace

OID = "o-1"
SID = f"{OID}-S1"
REQUESTED = ev.OrderCancellationRequested(order_id=OID, reason="changed mind", requested_by="ola")


def fold(*events: ev.Event) -> OrderState:
    state = OrderState(OID)
    for event in events:  # in this order: fold() would sort by time, equal here
        state = state.apply(Envelope(data=event, source="/test"))
    return state


def released() -> list[ev.Event]:
    return [
        ev.OrderReadyForFulfillment(order_id=OID, lines=[]),
        ev.ShipmentPlanned(order_id=OID, shipment_id=SID, warehouse="main", lines=[]),
    ]


def test_a_requested_cancellation_is_not_yet_one() -> None:
    state = fold(*released(), REQUESTED)
    assert (state.status, state.cancelled, state.cancellation) == (
        Status.READY_FOR_FULFILLMENT,
        False,
        "requested",
    )


def test_a_refusal_leaves_the_order_as_it_was() -> None:
    left = ev.ShipmentStatusChanged(order_id=OID, shipment_id=SID, status="handed_to_carrier")
    refused = ev.OrderCancellationRefused(
        order_id=OID, reason="changed mind", requested_by="ola", shipments=[SID]
    )
    state = fold(*released(), left, REQUESTED, refused)
    assert (state.status, state.cancelled, state.cancellation) == (
        Status.SHIPPED,
        False,
        "refused",
    )


def test_the_gates_cancellation_cancels_and_withdraws() -> None:
    cancelled = ev.OrderCancelled(order_id=OID, reason="changed mind", cancelled_by="ola")
    withdrawn = ev.ShipmentWithdrawn(order_id=OID, shipment_id=SID, lines=[], reason="cancelled")
    state = fold(*released(), REQUESTED, cancelled, withdrawn)
    assert (state.status, state.cancellation, state.shipments) == (
        Status.CANCELLED,
        "cancelled",
        ((SID, "withdrawn"),),
    )


def test_replace_gives_what_dataclasses_replace_gives_and_refuses_unknown_fields() -> None:
    state = fold(*released())
    tickets = frozenset({"t-1"})
    fast = replace(state, payment="authorized", open_tickets=tickets)
    slow = dataclasses.replace(state, payment="authorized", open_tickets=tickets)
    assert fast == slow
    assert vars(fast) == vars(slow)
    assert state.payment == "pending"  # the original is untouched
    with pytest.raises(TypeError, match="paymnet"):
        replace(state, paymnet="authorized")


def test_a_parcel_sent_again_takes_the_place_of_the_one_that_came_back() -> None:
    s2 = f"{OID}-S2"
    back = [
        ev.ShipmentStatusChanged(order_id=OID, shipment_id=SID, status="in_transit"),
        ev.ShipmentStatusChanged(order_id=OID, shipment_id=SID, status="returned_to_sender"),
        ev.CashOnDeliveryNotCollected(
            order_id=OID, shipment_id=SID, amount=Decimal("10.00"), currency="PLN"
        ),
    ]
    state = fold(*released(), *back)
    assert (state.status, state.not_collected) == (Status.RETURNED_TO_SENDER, Decimal("10.00"))
    again = ev.ShipmentPlanned(
        order_id=OID, shipment_id=s2, warehouse="main", lines=[], replaces=SID
    )
    state = fold(*released(), *back, again)
    # Back at the warehouse, to go out again: the returned parcel no longer counts.
    assert (state.status, state.shipments) == (Status.READY_FOR_FULFILLMENT, ((s2, "planned"),))
    assert state.timeline[-1].summary == "shipment S2 planned from main, sending S1 again"

    def moved(status: ev.ShipmentStatus) -> ev.ShipmentStatusChanged:
        return ev.ShipmentStatusChanged(order_id=OID, shipment_id=s2, status=status, replaces=SID)

    state = fold(*released(), *back, again, moved("in_transit"))
    assert (state.status, state.not_collected) == (Status.SHIPPED, Decimal("10.00"))
    state = fold(*released(), *back, again, moved("in_transit"), moved("delivered"))
    assert (state.status, state.not_collected) == (Status.DELIVERED, Decimal(0))
    # Back again: its own shortfall takes the first one's place, not beside it.
    back_again = ev.CashOnDeliveryNotCollected(
        order_id=OID, shipment_id=s2, amount=Decimal("10.00"), currency="PLN"
    )
    state = fold(*released(), *back, again, moved("in_transit"), moved("returned_to_sender"))
    state = state.apply(Envelope(data=back_again, source="/test"))
    assert (state.status, state.not_collected) == (Status.RETURNED_TO_SENDER, Decimal("10.00"))
    # Its status arriving before its plan (two topics) replaces the returned parcel too.
    state = fold(*released(), *back, moved("in_transit"))
    assert state.shipments == ((s2, "in_transit"),)
