"""OrderState's fold of a cancellation: a request is not yet a cancellation, a refusal leaves
the order as it was, and only the release gate's OrderCancelled cancels it."""

from __future__ import annotations

import dataclasses

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
