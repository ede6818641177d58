"""Given events -> when a command or event -> then events: every ticket transition, the new
failure reasons, the SLA sweep's command, and instructions in the operator's language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder, Correction
from ordo_runtime.testing import Scenario, sample_order
from ordo_ticketing.app import service
from ordo_ticketing.commands import (
    AssignTicket,
    CancelOrder,
    HoldTicket,
    ReleaseTicket,
    Resolution,
    ResolveTicket,
)
from ordo_ticketing.domain import REASONS, TicketRefusedError
from ordo_ticketing.instructions import DEFAULT_LANGUAGE, LANGUAGES, language_of, render
from ordo_ticketing.sweep import OpenReturnedTickets, OpenStuckTicket

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ORDER = sample_order(customer={"name": "Jan Kowalski", "email": "jan@example.com"})
OID = ORDER.order_id


def received(order: CanonicalOrder) -> ev.OrderReceived:
    return ev.OrderReceived(order_id=order.order_id, order=order)


def no_phone(order_id: str) -> ev.OrderValidationFailed:
    issue = ev.Issue(code="phone.missing", field="customer.phone", message="No phone number.")
    return ev.OrderValidationFailed(order_id=order_id, issues=[issue])


def opened(events: list[ev.Event]) -> ev.TicketOpened:
    (ticket,) = events
    assert isinstance(ticket, ev.TicketOpened)
    return ticket


@pytest.fixture
def ticket() -> tuple[Scenario, ev.TicketOpened]:
    scenario = Scenario(service).given(received(ORDER))
    return scenario, opened(scenario.when(no_phone(OID)))


def test_a_ticket_carries_channel_market_sla_and_what_it_was_rendered_from(
    ticket: tuple[Scenario, ev.TicketOpened],
) -> None:
    _, t = ticket
    assert (t.channel, t.market, t.details) == ("webshop", "PL", {"attempt": 1})
    assert t.sla_due is not None
    assert t.sla_due > datetime.now(UTC) + timedelta(hours=3)


def test_assign_then_reassign_and_a_repeat_changes_nothing(
    ticket: tuple[Scenario, ev.TicketOpened],
) -> None:
    scenario, t = ticket
    tid = t.ticket_id
    assert scenario.execute(AssignTicket(tid, "lead", "ola")) == [
        ev.TicketAssigned(order_id=OID, ticket_id=tid, assignee="ola", assigned_by="lead")
    ]
    assert scenario.execute(AssignTicket(tid, "lead", "ola")) == []
    (again,) = scenario.execute(AssignTicket(tid, "ola", "piotr"))
    assert isinstance(again, ev.TicketAssigned)
    assert again.assignee == "piotr"


def test_hold_and_release_return_the_ticket_to_its_assignee(
    ticket: tuple[Scenario, ev.TicketOpened],
) -> None:
    scenario, t = ticket
    tid = t.ticket_id
    scenario.execute(AssignTicket(tid, "ola", "ola"))
    hold = HoldTicket(tid, "ola", "waiting for the customer")
    assert scenario.execute(hold) == [
        ev.TicketHeld(order_id=OID, ticket_id=tid, held_by="ola", note="waiting for the customer")
    ]
    assert hold.ticket["status"] == "on_hold"
    with pytest.raises(TicketRefusedError, match="already on hold"):
        scenario.execute(HoldTicket(tid, "ola"))
    release = ReleaseTicket(tid, "ola")
    assert scenario.execute(release) == [
        ev.TicketReleased(order_id=OID, ticket_id=tid, released_by="ola")
    ]
    assert (release.ticket["status"], release.ticket["assignee"]) == ("assigned", "ola")
    with pytest.raises(TicketRefusedError, match="not on hold"):
        scenario.execute(ReleaseTicket(tid, "ola"))


def test_a_held_ticket_can_be_resolved_and_then_nothing_else(
    ticket: tuple[Scenario, ev.TicketOpened],
) -> None:
    scenario, t = ticket
    tid = t.ticket_id
    scenario.execute(HoldTicket(tid, "ola"))
    body = Resolution(
        resolution="phone from the customer", correction=Correction(phone="+48 601 234 567")
    )
    resolved, corrected = scenario.execute(ResolveTicket(tid, body, "ola"))
    assert isinstance(resolved, ev.TicketResolved)
    assert resolved.resolved_by == "ola"
    assert isinstance(corrected, ev.OrderCorrected)
    for command in (
        AssignTicket(tid, "ola", "x"),
        HoldTicket(tid, "ola"),
        CancelOrder(tid, "ola", "x"),
    ):
        with pytest.raises(TicketRefusedError, match="already resolved"):
            scenario.execute(command)


def test_cancelling_the_order_cancels_its_live_tickets_and_no_new_ones_open(
    ticket: tuple[Scenario, ev.TicketOpened],
) -> None:
    # Ticketing only asks; the release gate's OrderCancelled is what cancels (see
    # test_cancellation.py for the request and the gate's answers).
    scenario, t = ticket
    declined = opened(scenario.when(ev.PaymentFailed(order_id=OID, reason="card expired")))
    scenario.execute(CancelOrder(t.ticket_id, "ola", "customer changed their mind"))
    cancelled = ev.OrderCancelled(
        order_id=OID, reason="customer changed their mind", cancelled_by="ola"
    )
    assert scenario.when(cancelled) == [
        ev.TicketCancelled(
            order_id=OID,
            ticket_id=tid,
            cancelled_by="ola",
            reason="customer changed their mind",
        )
        for tid in (t.ticket_id, declined.ticket_id)
    ]
    with pytest.raises(TicketRefusedError, match="cancelled with its order"):
        scenario.execute(CancelOrder(declined.ticket_id, "ola", "again"))
    assert scenario.when(ev.StockShortage(order_id=OID, missing=[])) == []


def test_an_order_not_in_ordo_cannot_be_cancelled() -> None:
    scenario = Scenario(service)
    issue = ev.Issue(code="payload.lines", message="No lines.")
    rejected = ev.OrderRejected(order_id=OID, channel="webshop", issues=[issue], raw="{}")
    t = opened(scenario.when(rejected))
    assert t.channel == "webshop"  # from the rejection: there is no order
    with pytest.raises(TicketRefusedError, match="no order to cancel"):
        scenario.execute(CancelOrder(t.ticket_id, "ola", "x"))


def test_payment_overdue_opens_a_ticket_once() -> None:
    scenario = Scenario(service).given(received(ORDER))
    overdue = ev.PaymentOverdue(order_id=OID, deadline=T0)
    t = opened(scenario.when(overdue))
    assert (t.reason, t.stage, t.severity) == ("payment_overdue", "payment", "normal")
    assert "had not paid by the deadline (2025-03-01 09:00)" in t.instructions
    assert scenario.when(overdue) == []


def test_each_complaint_is_a_ticket_of_its_own() -> None:
    scenario = Scenario(service).given(received(ORDER))

    def complaint(cid: str) -> ev.ComplaintFiled:
        return ev.ComplaintFiled(
            order_id=OID, complaint_id=cid, message="Broken mug", filed_by="Jan"
        )

    first = opened(scenario.when(complaint("c-1")))
    assert (first.reason, first.stage) == ("complaint", "after_sales")
    assert '"Broken mug"' in first.instructions
    assert opened(scenario.when(complaint("c-2"))).ticket_id != first.ticket_id
    assert scenario.when(complaint("c-1")) == []


def test_only_a_failed_delivery_opens_a_ticket_one_per_shipment() -> None:
    scenario = Scenario(service).given(received(ORDER))

    def shipment(sid: str, status: ev.ShipmentStatus) -> ev.ShipmentStatusChanged:
        return ev.ShipmentStatusChanged(
            order_id=OID, shipment_id=sid, status=status, carrier="InPost", note="nobody home"
        )

    assert scenario.when(shipment("s-1", "in_transit")) == []
    t = opened(scenario.when(shipment("s-1", "delivery_failed")))
    assert (t.reason, t.severity) == ("delivery_failed", "high")
    assert "(InPost) could not deliver a shipment" in t.instructions
    # Not "cancel it": an order whose goods left cannot be cancelled.
    assert "ask the carrier to send the parcel back" in t.instructions
    assert scenario.when(shipment("s-1", "delivery_failed")) == []  # still open for s-1
    assert opened(scenario.when(shipment("s-2", "delivery_failed"))).ticket_id != t.ticket_id
    scenario.execute(ResolveTicket(t.ticket_id, Resolution(resolution="redelivered"), "ola"))
    assert opened(scenario.when(shipment("s-1", "delivery_failed"))).ticket_id != t.ticket_id


def returned(order: CanonicalOrder, sid: str, note: str | None = None) -> ev.ShipmentStatusChanged:
    return ev.ShipmentStatusChanged(
        order_id=order.order_id,
        shipment_id=sid,
        status="returned_to_sender",
        carrier="InPost",
        tracking_number="TN-77",
        note=note,
        lines=[ev.ReservedLine(sku="SKU-1", quantity=2, warehouse="north")],
    )


def uncollected(order: CanonicalOrder, sid: str, amount: str) -> ev.CashOnDeliveryNotCollected:
    return ev.CashOnDeliveryNotCollected(
        order_id=order.order_id, shipment_id=sid, amount=Decimal(amount), currency="PLN"
    )


def test_a_cash_on_delivery_parcel_returned_opens_a_ticket_naming_it_and_what_was_not_paid() -> (
    None
):
    scenario = Scenario(service).given(received(ORDER))
    # The carrier's word and payment's come on two topics: the ticket waits for both.
    assert scenario.when(returned(ORDER, "S-1", note="refused by the recipient")) == []
    t = opened(scenario.when(uncollected(ORDER, "S-1", "32.35")))
    assert (t.reason, t.stage, t.severity) == ("returned_to_sender", "delivery", "high")
    assert "(InPost) brought shipment S-1 (tracking number TN-77) back to us undelivered" in (
        t.instructions
    )
    assert "refused by the recipient" in t.instructions
    assert "2 x SKU-1; they are back in stock at north" in t.instructions
    assert "so 32.35 PLN of the order is not paid" in t.instructions
    assert "Jan Kowalski" in t.instructions  # whom to call
    assert scenario.when(returned(ORDER, "S-1")) == []  # said again: the same ticket
    assert scenario.when(uncollected(ORDER, "S-1", "32.35")) == []
    scenario.execute(ResolveTicket(t.ticket_id, Resolution(resolution="sent again"), "ola"))
    assert scenario.when(returned(ORDER, "S-1")) == []  # a parcel comes back once


def test_a_cash_on_delivery_parcels_ticket_opens_without_payments_word_once_it_waited() -> None:
    scenario = Scenario(service).given(received(ORDER))
    assert scenario.when(returned(ORDER, "S-1", note="refused by the recipient")) == []
    # Payment is down or behind: the sweep's command opens the ticket, saying what is unknown.
    t = opened(scenario.execute(OpenReturnedTickets(OID)))
    assert (t.reason, t.details["subject"]) == ("returned_to_sender", "S-1")
    assert "Payment has not said yet how much of the order that leaves unpaid" in t.instructions
    assert "there is nothing to refund" not in t.instructions  # its only parcel: cancel-order
    assert "closes it (nothing was collected for this parcel)" in t.instructions
    assert "refunds what was paid" not in t.instructions
    assert scenario.execute(OpenReturnedTickets(OID)) == []  # a second sweep, or a replica
    assert scenario.when(uncollected(ORDER, "S-1", "32.35")) == []  # the same ticket


def test_the_returned_sweep_opens_nothing_for_an_order_without_a_parcel_back() -> None:
    scenario = Scenario(service).given(received(ORDER))
    assert scenario.execute(OpenReturnedTickets(OID)) == []
    assert scenario.execute(OpenReturnedTickets("never-seen")) == []


def test_payments_word_may_come_first_and_each_parcel_gets_its_own_ticket() -> None:
    scenario = Scenario(service).given(received(ORDER))
    assert scenario.when(uncollected(ORDER, "S-2", "7.35")) == []
    t = opened(scenario.when(returned(ORDER, "S-2")))
    assert "7.35 PLN of the order is not paid" in t.instructions
    assert "the carrier gave no reason" in t.instructions
    scenario.when(uncollected(ORDER, "S-3", "1.00"))
    assert opened(scenario.when(returned(ORDER, "S-3"))).ticket_id != t.ticket_id


def test_a_prepaid_parcel_returned_opens_its_ticket_at_once_and_nothing_is_refunded() -> None:
    prepaid = sample_order(external_id="W-pre", payment={"method": "prepaid"})
    scenario = Scenario(service).given(received(prepaid))
    t = opened(scenario.when(returned(prepaid, "S-1", note="address unknown")))
    assert "paid in advance and nothing has been refunded" in t.instructions
    assert "cancel the order from this ticket" in t.instructions
    assert "so Ordo refunds what was paid" in t.instructions
    assert "not paid" not in t.instructions
    # Its only parcel is back on the shelf: the order can be cancelled, and so refunded.
    requested = scenario.execute(CancelOrder(t.ticket_id, "ola", "customer moved away"))
    assert requested == [
        ev.OrderCancellationRequested(
            order_id=prepaid.order_id, reason="customer moved away", requested_by="ola"
        )
    ]


def test_a_parcel_back_while_another_is_out_is_refunded_by_hand_and_cancel_is_refused() -> None:
    prepaid = sample_order(external_id="W-pre2", payment={"method": "prepaid"})
    oid = prepaid.order_id
    scenario = Scenario(service).given(received(prepaid))
    out = ev.ShipmentStatusChanged(order_id=oid, shipment_id="S-2", status="in_transit")
    assert scenario.when(out) == []
    t = opened(scenario.when(returned(prepaid, "S-1")))
    assert "refund what they paid for this parcel at the payment provider" in t.instructions
    assert "cannot be cancelled: shipment(s) S-2 are still with the carrier" in t.instructions
    with pytest.raises(TicketRefusedError, match=r"S-2 already left the warehouse"):
        scenario.execute(CancelOrder(t.ticket_id, "ola", "customer moved away"))


def test_a_stuck_order_gets_one_ticket_for_the_stage_and_the_time_it_stopped() -> None:
    scenario = Scenario(service).given(received(ORDER))
    since = T0 - timedelta(minutes=20)
    command = OpenStuckTicket(OID, "validation", since, T0)
    t = opened(scenario.execute(command))
    assert (t.ticket_id, t.reason, t.stage) == (command.ticket_id, "order_stuck", "validation")
    assert "waiting for 20 minutes (since 2025-03-01 08:40)" in t.instructions
    again = OpenStuckTicket(OID, "validation", since, T0 + timedelta(minutes=1))
    assert again.ticket_id == command.ticket_id  # another replica names the same ticket
    assert scenario.execute(again) == []


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "The customer gave no phone number."),
        ("pl", "Klient nie podał numeru telefonu."),
        ("ru", "Клиент не указал номер телефона."),
        ("de", "Der Kunde hat keine Telefonnummer angegeben."),
        ("fr", "The customer gave no phone number."),  # no French: English
    ],
)
def test_instructions_render_in_the_operators_language(language: str, says: str) -> None:
    issue = ev.Issue(code="phone.missing", message="No phone number.")
    text = render(
        "validation_failed", order_id=OID, order=ORDER, issues=[issue], language=language, attempt=1
    )
    assert says in text
    assert "Jan Kowalski" in text


@pytest.mark.parametrize(
    ("lang", "accept", "expected"),
    [
        ("ru", "pl-PL,pl;q=0.9", "ru"),
        (None, "de-DE,de;q=0.9,pl;q=0.8,en;q=0.5", "de"),
        (None, "fr-FR,fr;q=0.9,pl;q=0.8,en;q=0.5", "pl"),
        (None, "en;q=0.2, ru;q=0.7", "ru"),
        ("xx", None, "en"),
        (None, "fr", "en"),
    ],
)
def test_the_operators_language_comes_from_lang_then_accept_language(
    lang: str | None, accept: str | None, expected: str
) -> None:
    assert language_of(lang, accept) == expected


# What each reason's instructions are rendered from; the cancellation reasons are rendered in
# every language in test_cancellation.py.
DETAILS: dict[str, dict[str, Any]] = {
    "validation_failed": {"attempt": 1},
    "out_of_stock": {"missing": [{"sku": "SKU-1", "requested": 2, "available": 1}]},
    "payment_declined": {"failure": "card declined"},
    "order_rejected": {"external_id": "W-9", "channel": "webshop"},
    "complaint": {"complaint": "Broken", "filed_by": "Jan"},
    "delivery_failed": {"carrier": None, "tracking_number": None, "note": "no one home"},
    "order_stuck": {"since": T0.isoformat(), "waited_m": 20},
    "payment_overdue": {"deadline": T0.isoformat()},
    "returned_to_sender": {
        "shipment_id": "S-1",
        "carrier": None,
        "tracking_number": None,
        "note": "refused",
        "lines": [{"sku": "SKU-1", "quantity": 1, "warehouse": "main"}],
        "settlement": "cash_on_delivery",
        "not_collected": "10.00",
        "currency": "PLN",
    },
    "reship_short": {
        "shipment_id": "S-1",
        "missing": [{"sku": "SKU-1", "requested": 2, "available": 1}],
        "returned_ticket": "t-1",
    },
    "revised_after_release": {
        "revision": "v7",
        "changes": [{"sku": "SKU-9", "released": 0, "revised": 1}, {"field": "customer.email"}],
    },
}


def test_the_details_cover_every_reason_but_the_cancellations() -> None:
    cancellations = {"cancellation_refused", "shipped_after_cancellation"}
    assert sorted(DETAILS) == sorted(set(REASONS) - cancellations)


@pytest.mark.parametrize("reason", sorted(DETAILS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_has_instructions_in_every_language(reason: str, language: str) -> None:
    def rendered(lang: str) -> str:
        issue = ev.Issue(code="phone.missing", message="No phone number.")
        details = DETAILS[reason]
        return render(reason, order_id=OID, order=ORDER, issues=[issue], language=lang, **details)

    text = rendered(language)
    # A rejected order is not in Ordo: its instructions name the channel's order number.
    assert ("W-9" if reason == "order_rejected" else "Jan Kowalski") in text
    assert len(text) > 100
    # Rendering falls back to English: the language's own template must have been used.
    assert language == DEFAULT_LANGUAGE or text != rendered(DEFAULT_LANGUAGE)


@pytest.mark.parametrize(
    "facts",
    [{"others_out": ["S-2"]}, {"others_out": []}, {"others_out": [], "order_cancelled": True}],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_returned_parcels_advice_depends_on_the_orders_other_parcels(
    facts: dict[str, Any], language: str
) -> None:
    returned_facts: dict[str, Any] = {
        "shipment_id": "S-1",
        "carrier": None,
        "tracking_number": None,
        "note": "refused",
        "lines": [],
        "settlement": "prepaid",
        "not_collected": None,
        "currency": None,
    }
    text = render(
        "returned_to_sender",
        order_id=OID,
        order=ORDER,
        issues=[],
        language=language,
        **returned_facts,
        **facts,
    )
    assert ("S-2" in text) is bool(facts["others_out"])
    assert ("cancel-order" in text) is (not facts["others_out"] and "order_cancelled" not in facts)
    # Sent again from the ticket (reship), but not the parcel of a cancelled order.
    assert ("reship" in text) is ("order_cancelled" not in facts)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_returned_parcels_ticket_says_when_payments_word_is_missing(language: str) -> None:
    def rendered(unknown: bool) -> str:
        facts: dict[str, Any] = {
            "shipment_id": "S-1",
            "carrier": None,
            "tracking_number": None,
            "note": "refused",
            "lines": [],
            "settlement": "cash_on_delivery",
            "not_collected": None,
            "currency": None,
            "others_out": ["S-2"],
            "uncollected_unknown": unknown,
        }
        return render(
            "returned_to_sender", order_id=OID, order=ORDER, issues=[], language=language, **facts
        )

    known, unknown = rendered(False), rendered(True)
    assert unknown != known
    # The sentence is the language's own, and the advice for a parcel nothing was paid for.
    assert language == DEFAULT_LANGUAGE or "Payment has not said" not in unknown
    assert len(unknown.splitlines()) == len(known.splitlines()) + 1


def test_an_order_whose_goods_left_cannot_be_cancelled(
    ticket: tuple[Scenario, ev.TicketOpened],
) -> None:
    scenario, t = ticket
    planned = ev.ShipmentStatusChanged(order_id=OID, shipment_id="S1", status="planned")
    assert scenario.when(planned) == []
    left = ev.ShipmentStatusChanged(order_id=OID, shipment_id="S1", status="handed_to_carrier")
    assert scenario.when(left) == []
    with pytest.raises(TicketRefusedError, match=r"S1 already left the warehouse.*returns"):
        scenario.execute(CancelOrder(t.ticket_id, "ola", "customer changed their mind"))


def test_an_order_whose_shipments_are_only_planned_can_still_be_cancelled(
    ticket: tuple[Scenario, ev.TicketOpened],
) -> None:
    scenario, t = ticket
    scenario.when(ev.ShipmentStatusChanged(order_id=OID, shipment_id="S1", status="planned"))
    events = scenario.execute(CancelOrder(t.ticket_id, "ola", "customer changed their mind"))
    assert isinstance(events[0], ev.OrderCancellationRequested)
