"""Given events -> when -> then events, for ticketing's process side and ticket resolution."""

from __future__ import annotations

import pytest

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import CanonicalOrder, ChannelValues, Correction, PaymentMethod
from ordo_runtime.testing import Scenario
from ordo_ticketing.app import service
from ordo_ticketing.commands import (
    Resolution,
    ResolveRefusedError,
    ResolveTicket,
    TicketNotFoundError,
)

ORDER = CanonicalOrder.model_validate(
    {
        "channel": "webshop",
        "external_id": "W-1",
        "customer": {"name": "Jan Kowalski", "email": "jan@example.com"},
        "delivery": {"method": "store_pickup"},
        "payment": {"method": "prepaid"},
        "lines": [{"sku": "SKU-1", "quantity": 2, "unit_price": "19.99"}],
    }
)
OID = ORDER.order_id


def received(order: CanonicalOrder) -> ev.OrderReceived:
    return ev.OrderReceived(order_id=order.order_id, order=order)


def no_phone(order_id: str, attempt: int = 1) -> ev.OrderValidationFailed:
    issue = ev.Issue(code="phone.missing", field="customer.phone", message="No phone number.")
    return ev.OrderValidationFailed(order_id=order_id, attempt=attempt, issues=[issue])


def shortage(order_id: str, available: int = 1) -> ev.StockShortage:
    missing = ev.MissingStock(sku="SKU-1", requested=2, available=available)
    return ev.StockShortage(order_id=order_id, missing=[missing])


def declined(order_id: str, reason: str = "card expired") -> ev.PaymentFailed:
    return ev.PaymentFailed(order_id=order_id, reason=reason, provider_ref="p-1")


def rejected(order_id: str) -> ev.OrderRejected:
    issue = ev.Issue(code="payload.lines", field="lines", message="The order has no lines.")
    return ev.OrderRejected(
        order_id=order_id, channel="webshop", external_id="W-1", issues=[issue], raw="{}"
    )


def opened(events: list[ev.Event]) -> ev.TicketOpened:
    (ticket,) = events
    assert isinstance(ticket, ev.TicketOpened)
    return ticket


def resolve(
    scenario: Scenario, ticket_id: str, correction: Correction | None = None
) -> list[ev.Event]:
    body = Resolution(resolved_by="ola", resolution="called the customer", correction=correction)
    return scenario.execute(ResolveTicket(ticket_id, body))


@pytest.mark.parametrize(
    ("failure", "reason", "stage", "says"),
    [
        (no_phone(OID), "validation_failed", "validation", "The customer gave no phone number."),
        (shortage(OID), "out_of_stock", "inventory", "SKU-1: 2 wanted, 1 available"),
        (declined(OID), "payment_declined", "payment", "The payment for this order failed"),
        (rejected(OID), "order_rejected", "intake", "The order has no lines."),
    ],
)
def test_each_failure_opens_one_ticket_that_names_the_problem(
    failure: ev.Event, reason: str, stage: str, says: str
) -> None:
    ticket = opened(Scenario(service).given(received(ORDER)).when(failure))
    assert (ticket.order_id, ticket.reason, ticket.stage) == (OID, reason, stage)
    assert says in ticket.instructions
    assert ticket.issues  # what is wrong, machine-readable, for the read side
    if reason != "order_rejected":
        assert "Jan Kowalski" in ticket.instructions  # the operator knows whom to call


def test_validation_instructions_list_every_issue_with_what_to_do() -> None:
    issues = [
        ev.Issue(code="phone.missing", message="No phone number."),
        ev.Issue(code="email.invalid", message="Email 'jan@@x': bad."),
    ]
    failure = ev.OrderValidationFailed(order_id=OID, issues=issues)
    text = opened(Scenario(service).given(received(ORDER)).when(failure)).instructions
    assert "1. No phone number." in text
    assert "2. Email 'jan@@x': bad." in text
    assert "ask for the right email address" in text


def test_ticket_ids_are_the_same_wherever_the_failure_is_handled() -> None:
    first = opened(Scenario(service).when(no_phone(OID)))
    again = opened(Scenario(service).when(no_phone(OID)))
    assert first.ticket_id == again.ticket_id


def test_a_redelivered_failure_opens_no_second_ticket() -> None:
    scenario = Scenario(service).given(received(ORDER))
    envelope = Envelope(data=shortage(OID), source="/test")
    opened(scenario.when(envelope))
    assert scenario.when(envelope) == []  # same event id, new offset
    assert scenario.when(shortage(OID)) == []  # same meaning, new event id
    assert scenario.when(shortage(OID, available=0)) == []  # still open for this reason


def test_resolving_emits_the_resolution_and_the_corrected_order() -> None:
    scenario = Scenario(service).given(received(ORDER))
    ticket = opened(scenario.when(no_phone(OID)))
    fix = Correction(phone="+48 601 234 567")
    assert resolve(scenario, ticket.ticket_id, fix) == [
        ev.TicketResolved(
            order_id=OID,
            ticket_id=ticket.ticket_id,
            resolved_by="ola",
            resolution="called the customer",
        ),
        ev.OrderCorrected(
            order_id=OID,
            ticket_id=ticket.ticket_id,
            corrected_by="ola",
            # With what the channel had in the phone: a later phone of its own replaces it.
            correction=fix.model_copy(update={"replaced": ChannelValues(phone=None)}),
            order=ORDER.model_copy(
                update={"customer": ORDER.customer.model_copy(update={"phone": fix.phone})}
            ),
        ),
    ]


def test_a_ticket_is_resolved_only_once() -> None:
    scenario = Scenario(service).given(received(ORDER))
    ticket = opened(scenario.when(declined(OID)))
    resolve(scenario, ticket.ticket_id, Correction(payment_method=PaymentMethod.CASH_ON_DELIVERY))
    with pytest.raises(ResolveRefusedError, match="already resolved by ola"):
        resolve(scenario, ticket.ticket_id)
    with pytest.raises(TicketNotFoundError):
        resolve(scenario, "no-such-ticket")


def test_a_failure_before_the_order_arrives_still_gets_a_ticket() -> None:
    scenario = Scenario(service)
    ticket = opened(scenario.when(no_phone(OID)))
    assert "have not reached ticketing yet" in ticket.instructions
    with pytest.raises(ResolveRefusedError, match="not reached ticketing yet"):
        resolve(scenario, ticket.ticket_id, Correction(phone="+48 601 234 567"))
    scenario.when(received(ORDER))
    events = resolve(scenario, ticket.ticket_id, Correction(phone="+48 601 234 567"))
    corrected = events[-1]
    assert isinstance(corrected, ev.OrderCorrected)
    assert corrected.order.customer.phone == "+48 601 234 567"
    assert corrected.order.external_id == ORDER.external_id


def test_corrections_build_on_each_other_and_a_late_order_does_not_undo_them() -> None:
    scenario = Scenario(service).given(received(ORDER))
    first = opened(scenario.when(no_phone(OID)))
    (_, corrected) = resolve(scenario, first.ticket_id, Correction(phone="+48 601 234 567"))
    assert scenario.when(corrected) == []  # our own OrderCorrected, back from Kafka
    assert scenario.when(received(ORDER)) == []  # a late duplicate of the original order
    second = opened(scenario.when(no_phone(OID, attempt=2)))
    assert second.ticket_id != first.ticket_id  # a new attempt is a new ticket
    (_, again) = resolve(scenario, second.ticket_id, Correction(email="jan@example.org"))
    assert isinstance(again, ev.OrderCorrected)
    assert (again.order.customer.phone, again.order.customer.email) == (
        "+48 601 234 567",
        "jan@example.org",
    )


def test_a_shortage_after_a_stock_retry_opens_a_new_ticket() -> None:
    scenario = Scenario(service).given(received(ORDER))
    first = opened(scenario.when(shortage(OID)))
    resolve(scenario, first.ticket_id, Correction(retry_stock=True))
    second = opened(scenario.when(shortage(OID, available=0)))
    assert second.ticket_id != first.ticket_id
    assert "0 available" in second.instructions


def test_a_rejected_order_is_resolved_without_a_correction() -> None:
    scenario = Scenario(service)
    ticket = opened(scenario.when(rejected(OID)))
    assert ticket.severity == "high"
    with pytest.raises(ResolveRefusedError, match="rejected at intake"):
        resolve(scenario, ticket.ticket_id, Correction(phone="+48 601 234 567"))
    (resolved,) = resolve(scenario, ticket.ticket_id)
    assert isinstance(resolved, ev.TicketResolved)


def test_no_second_ticket_for_a_reason_while_one_is_open() -> None:
    scenario = Scenario(service).given(received(ORDER))
    opened(scenario.when(no_phone(OID, attempt=1)))
    assert scenario.when(no_phone(OID, attempt=2)) == []
    assert opened(scenario.when(declined(OID))).reason == "payment_declined"  # another reason
