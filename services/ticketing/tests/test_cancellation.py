"""Cancelling through a ticket: ticketing asks (OrderCancellationRequested), the release gate
answers. Given an order with a ticket, when the operator cancels and fulfillment answers,
then tickets are cancelled, or a ticket tells the operator what to do instead."""

from __future__ import annotations

from typing import Any

import pytest

from ordo_events import events as ev
from ordo_runtime.testing import Scenario, sample_order
from ordo_ticketing.app import service
from ordo_ticketing.commands import CancelOrder
from ordo_ticketing.domain import TicketRefusedError
from ordo_ticketing.instructions import DEFAULT_LANGUAGE, LANGUAGES, render

ORDER = sample_order(customer={"name": "Jan Kowalski", "email": "jan@example.com"})
OID = ORDER.order_id
SID = f"{OID}-S1"
WHY = "customer changed their mind"
REQUESTED = ev.OrderCancellationRequested(order_id=OID, reason=WHY, requested_by="ola")
REFUSED = ev.OrderCancellationRefused(order_id=OID, reason=WHY, requested_by="ola", shipments=[SID])


def with_ticket() -> tuple[Scenario, str]:
    scenario = Scenario(service).given(ev.OrderReceived(order_id=OID, order=ORDER))
    issue = ev.Issue(code="phone.missing", field="customer.phone", message="No phone number.")
    (t,) = scenario.when(ev.OrderValidationFailed(order_id=OID, issues=[issue]))
    assert isinstance(t, ev.TicketOpened)
    return scenario, t.ticket_id


def opened(events: list[ev.Event]) -> ev.TicketOpened:
    (ticket,) = events
    assert isinstance(ticket, ev.TicketOpened)
    return ticket


def test_cancel_asks_the_gate_and_leaves_the_tickets_until_it_answers() -> None:
    scenario, tid = with_ticket()
    command = CancelOrder(tid, "ola", WHY)
    assert scenario.execute(command) == [REQUESTED]
    assert command.ticket["status"] == "open"  # not cancelled by the request
    assert scenario.execute(CancelOrder(tid, "piotr", "asked twice")) == []  # pending


def test_the_gates_cancellation_cancels_the_live_tickets_once() -> None:
    scenario, tid = with_ticket()
    scenario.execute(CancelOrder(tid, "ola", WHY))
    cancelled = ev.OrderCancelled(order_id=OID, reason=WHY, cancelled_by="ola")
    assert scenario.when(cancelled) == [
        ev.TicketCancelled(order_id=OID, ticket_id=tid, cancelled_by="ola", reason=WHY)
    ]
    assert scenario.when(cancelled) == []
    with pytest.raises(TicketRefusedError, match="cancelled with its order"):
        scenario.execute(CancelOrder(tid, "ola", WHY))


def test_a_refusal_opens_a_ticket_to_arrange_a_return_and_cancel_is_409_after() -> None:
    scenario, tid = with_ticket()
    scenario.execute(CancelOrder(tid, "ola", WHY))  # ticketing had not seen the hand-over
    t = opened(scenario.when(REFUSED))
    assert (t.reason, t.stage, t.severity) == ("cancellation_refused", "after_sales", "normal")
    assert f"shipment(s) {SID} had already left the warehouse" in t.instructions
    assert f"POST /orders/{OID}/returns" in t.instructions
    assert "Jan Kowalski" in t.instructions
    assert scenario.when(REFUSED) == []  # redelivered: the same ticket
    with pytest.raises(TicketRefusedError, match=r"already left the warehouse.*returns"):
        scenario.execute(CancelOrder(tid, "ola", "once more"))


def test_a_withdrawn_shipment_that_left_anyway_opens_one_ticket_to_get_it_back() -> None:
    scenario, tid = with_ticket()
    scenario.execute(CancelOrder(tid, "ola", WHY))
    scenario.when(ev.OrderCancelled(order_id=OID, reason=WHY, cancelled_by="ola"))

    def carrier(status: ev.ShipmentStatus) -> ev.ShipmentStatusChanged:
        return ev.ShipmentStatusChanged(
            order_id=OID, shipment_id=SID, status=status, carrier="InPost", tracking_number="TN-1"
        )

    t = opened(scenario.when(carrier("handed_to_carrier")))
    assert (t.reason, t.stage, t.severity) == ("shipped_after_cancellation", "fulfillment", "high")
    assert "left the warehouse anyway" in t.instructions
    assert "stop the parcel and send it back" in t.instructions
    assert "tracking number TN-1" in t.instructions
    assert scenario.when(carrier("delivered")) == []  # one ticket per shipment
    issue = ev.Issue(code="x", message="y")  # other failures of a cancelled order: none
    assert scenario.when(ev.OrderValidationFailed(order_id=OID, issues=[issue], attempt=2)) == []


@pytest.mark.parametrize("reason", ["cancellation_refused", "shipped_after_cancellation"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_cancellation_tickets_have_instructions_in_every_language(
    reason: str, language: str
) -> None:
    details: dict[str, dict[str, Any]] = {
        "cancellation_refused": {
            "shipments": [SID],
            "requested_by": "ola",
            "request_reason": WHY,
        },
        "shipped_after_cancellation": {
            "shipment_id": SID,
            "status": "handed_to_carrier",
            "carrier": None,
            "tracking_number": None,
        },
    }

    def rendered(lang: str) -> str:
        return render(
            reason, order_id=OID, order=ORDER, issues=[], language=lang, **details[reason]
        )

    text = rendered(language)
    assert "Jan Kowalski" in text
    assert SID in text
    assert f"POST /orders/{OID}/returns" in text
    # Rendering falls back to English: the language's own template must have been used.
    assert language == DEFAULT_LANGUAGE or text != rendered(DEFAULT_LANGUAGE)
