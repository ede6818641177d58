"""Given events -> when the channel revises an order -> then ticketing follows the version
taken before release, and opens a ticket for one that came after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import CanonicalOrder, ChannelValues, Correction, PaymentMethod
from ordo_events.state import OrderState
from ordo_runtime.testing import Scenario
from ordo_ticketing.app import service
from ordo_ticketing.instructions import render
from services.ticketing.tests.test_ticketing_process import (
    declined,
    no_phone,
    opened,
    received,
    resolve,
    shortage,
)

ORDER = CanonicalOrder.model_validate(
    {
        "channel": "webshop",
        "external_id": "R-1",
        "customer": {"name": "Jan Kowalski", "email": "jan@example.com"},
        "delivery": {"method": "store_pickup"},
        "payment": {"method": "prepaid", "status": "authorized", "provider": "przelewy24"},
        "lines": [{"sku": "SKU-1", "quantity": 2, "unit_price": "19.99"}],
    }
)
OID = ORDER.order_id
REVISED = ORDER.model_copy(
    update={
        "lines": [
            *ORDER.lines,
            ORDER.lines[0].model_copy(update={"sku": "SKU-9", "quantity": 1}),
        ],
        "customer": ORDER.customer.model_copy(update={"email": "jan@example.org"}),
    }
)


def late(order: CanonicalOrder, revision: str | None = "v7") -> ev.OrderRevisedAfterRelease:
    return ev.OrderRevisedAfterRelease(order_id=OID, order=order, revision=revision)


def test_a_revision_after_release_opens_a_ticket_that_says_what_changed() -> None:
    scenario = Scenario(service).given(received(ORDER))
    ticket = opened(scenario.when(late(REVISED)))
    assert (ticket.reason, ticket.stage, ticket.severity) == (
        "revised_after_release",
        "fulfillment",
        "high",
    )
    text = ticket.instructions
    assert "changed this order after it was released to the warehouse" in text
    assert "(the channel's version v7)" in text
    assert "- SKU-9: 0 released, 1 in the channel's version" in text
    assert "- the customer's email changed" in text
    assert "jan@example.org" not in text  # the values are in the timeline, masked per role
    assert "compare the released order with the channel's version" in text
    assert ticket.details["changes"] == [
        {"sku": "SKU-9", "released": 0, "revised": 1},
        {"field": "customer.email"},
    ]


def test_the_late_revision_ticket_reads_in_the_operators_language() -> None:
    scenario = Scenario(service).given(received(ORDER))
    ticket = opened(scenario.when(late(REVISED)))
    facts = {"order_id": OID, "order": ORDER, "issues": ticket.issues, **ticket.details}
    polish = render("revised_after_release", language="pl", **facts)
    assert "po przekazaniu go do magazynu (wersja kanału v7)" in polish
    assert "- SKU-9: przekazano 0, w wersji kanału 1" in polish
    assert "- zmieniono: e-mail klienta" in polish
    russian = render("revised_after_release", language="ru", **facts)
    assert "- SKU-9: передано 0, в версии канала 1" in russian
    assert "- изменено: e-mail клиента" in russian
    german = render("revised_after_release", language="de", **facts)
    assert "nachdem sie ans Lager freigegeben wurde (Version v7 des Kanals)" in german
    assert "- SKU-9: 0 freigegeben, 1 in der Version des Kanals" in german
    assert "- geändert: E-Mail des Kunden" in german
    for text in (polish, russian, german):
        assert "jan@example.org" not in text


def test_a_late_revision_without_the_released_version_says_to_compare_by_hand() -> None:
    scenario = Scenario(service)  # ticketing never saw the order taken
    ticket = opened(scenario.when(late(REVISED)))
    assert ticket.details["changes"] == [{"note": "unknown"}]
    assert "has not reached ticketing: compare in the timeline" in ticket.instructions


def test_the_same_late_revision_again_opens_no_second_ticket_another_one_does() -> None:
    scenario = Scenario(service).given(received(ORDER))
    first = opened(scenario.when(late(REVISED)))
    assert scenario.when(late(REVISED)) == []
    other = REVISED.model_copy(update={"lines": ORDER.lines})
    second = opened(scenario.when(late(other, revision=None)))
    assert second.ticket_id != first.ticket_id
    assert "(the channel's version" not in second.instructions


def test_a_late_revision_leaves_the_released_order_as_it_was() -> None:
    scenario = Scenario(service).given(received(ORDER), late(REVISED))
    ticket = opened(scenario.when(declined(OID)))
    (_, corrected) = resolve(scenario, ticket.ticket_id, Correction(note="paid by transfer"))
    assert isinstance(corrected, ev.OrderCorrected)
    assert corrected.order == ORDER


def test_a_correction_after_an_accepted_revision_corrects_the_revised_order() -> None:
    accepted = ev.OrderRevisionAccepted(order_id=OID, order=REVISED, sequence=1)
    scenario = Scenario(service).given(received(ORDER), accepted)
    assert scenario.when(accepted) == []  # a repeat changes nothing
    ticket = opened(scenario.when(no_phone(OID, attempt=2)))
    (_, corrected) = resolve(scenario, ticket.ticket_id, Correction(phone="+48 601 234 567"))
    assert isinstance(corrected, ev.OrderCorrected)
    assert corrected.order.lines == REVISED.lines
    assert corrected.order.customer.phone == "+48 601 234 567"
    assert corrected.sequence == 1  # the version it was built on


def test_a_revision_taken_after_a_correction_keeps_the_corrected_fields() -> None:
    # The operator resolved before ticketing heard of the revision the gate had taken: the
    # correction was built on the order as received, and the revision lacks the phone.
    scenario = Scenario(service).given(received(ORDER))
    ticket = opened(scenario.when(no_phone(OID)))
    fix = Correction(phone="+48 601 234 567")
    (_, corrected) = resolve(scenario, ticket.ticket_id, fix)
    assert isinstance(corrected, ev.OrderCorrected)
    assert corrected.sequence == 0
    accepted = ev.OrderRevisionAccepted(order_id=OID, order=REVISED, sequence=1)
    assert scenario.when(accepted) == []
    # The order in force is the revision with the phone: the next correction shows it.
    later = opened(scenario.when(declined(OID)))
    (_, next_fix) = resolve(scenario, later.ticket_id, Correction(note="paid by transfer"))
    assert isinstance(next_fix, ev.OrderCorrected)
    assert next_fix.order == fix.apply(REVISED)  # two more units, the new email, the phone
    assert next_fix.sequence == 1


def test_the_order_view_applies_a_correction_to_the_revision_it_did_not_see() -> None:
    t0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    fix = Correction(phone="+48 601 234 567")
    history = [
        ev.OrderReceived(order_id=OID, order=ORDER),
        ev.OrderRevised(order_id=OID, order=REVISED),
        ev.OrderCorrected(
            order_id=OID,
            ticket_id="t-1",
            corrected_by="ola",
            correction=fix,
            order=fix.apply(ORDER),
        ),
    ]
    envelopes = [
        Envelope(data=e, source="/test", time=t0 + timedelta(seconds=i))
        for i, e in enumerate(history)
    ]
    assert OrderState.fold(OID, envelopes).order == fix.apply(REVISED)


def test_a_shortage_of_a_revised_order_is_a_new_failure() -> None:
    scenario = Scenario(service).given(received(ORDER))
    first = opened(scenario.when(shortage(OID)))
    resolve(scenario, first.ticket_id)  # resolved without a correction
    scenario.given(ev.OrderRevisionAccepted(order_id=OID, order=REVISED, sequence=1))
    assert opened(scenario.when(shortage(OID))).ticket_id != first.ticket_id


def test_a_payment_method_correction_keeps_the_payment_status_and_provider() -> None:
    scenario = Scenario(service).given(received(ORDER))
    ticket = opened(scenario.when(declined(OID)))
    fix = Correction(payment_method=PaymentMethod.CASH_ON_DELIVERY)
    (_, corrected) = resolve(scenario, ticket.ticket_id, fix)
    assert isinstance(corrected, ev.OrderCorrected)
    payment = corrected.order.payment
    assert payment.method is PaymentMethod.CASH_ON_DELIVERY
    assert (payment.status, payment.provider) == ("authorized", "przelewy24")


def test_the_order_state_shows_the_released_version_not_a_late_one() -> None:
    t0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    history = [
        ev.OrderReceived(order_id=OID, order=ORDER),
        ev.OrderRevised(order_id=OID, order=REVISED.model_copy(update={"lines": ORDER.lines})),
        ev.OrderReadyForFulfillment(order_id=OID, lines=[]),
        ev.OrderRevised(order_id=OID, order=REVISED),
        late(REVISED),
    ]
    envelopes = [
        Envelope(data=e, source="/test", time=t0 + timedelta(seconds=i))
        for i, e in enumerate(history)
    ]
    state = OrderState.fold(OID, envelopes)
    assert state.order is not None
    assert state.order.lines == ORDER.lines  # the version taken before release
    assert state.order.customer.email == "jan@example.org"
    assert "after release" in state.timeline[-1].summary


def with_phone(order: CanonicalOrder, phone: str | None) -> CanonicalOrder:
    return order.model_copy(update={"customer": order.customer.model_copy(update={"phone": phone})})


def test_a_revision_with_a_phone_of_its_own_replaces_the_operators_phone() -> None:
    # The operator added the phone the customer gave on the line; the customer then put a
    # new one in the shop: the channel's newer word is in force, the correction is not.
    scenario = Scenario(service).given(received(ORDER))
    ticket = opened(scenario.when(no_phone(OID)))
    resolve(scenario, ticket.ticket_id, Correction(phone="+48 601 234 567"))
    revised = with_phone(REVISED, "+48 602 000 111")
    assert scenario.when(ev.OrderRevisionAccepted(order_id=OID, order=revised, sequence=1)) == []
    later = opened(scenario.when(declined(OID)))
    (_, fix) = resolve(scenario, later.ticket_id, Correction(note="paid by transfer"))
    assert isinstance(fix, ev.OrderCorrected)
    assert fix.order == revised


def test_a_second_correction_of_a_field_remembers_what_the_channel_had() -> None:
    # What the channel had, not the first correction's phone: a revision that keeps the
    # channel's (no phone) keeps the second correction.
    scenario = Scenario(service).given(received(ORDER))
    first = opened(scenario.when(no_phone(OID)))
    resolve(scenario, first.ticket_id, Correction(phone="+48 601 234 567"))
    second = opened(scenario.when(no_phone(OID, attempt=2)))
    (_, fix) = resolve(scenario, second.ticket_id, Correction(phone="+48 603 333 444"))
    assert isinstance(fix, ev.OrderCorrected)
    assert fix.correction.replaced == ChannelValues(phone=None)
    assert fix.order.customer.phone == "+48 603 333 444"
    accepted = ev.OrderRevisionAccepted(order_id=OID, order=REVISED, sequence=1)
    assert scenario.when(accepted) == []
    later = opened(scenario.when(declined(OID)))
    (_, last) = resolve(scenario, later.ticket_id, Correction(note="paid by transfer"))
    assert isinstance(last, ev.OrderCorrected)
    assert last.order == with_phone(REVISED, "+48 603 333 444")


def test_a_correction_sent_with_what_the_channel_had_is_told_what_it_had() -> None:
    # `replaced` is Ordo's to fill in: a request's own is replaced by the channel's values.
    scenario = Scenario(service).given(received(ORDER))
    ticket = opened(scenario.when(no_phone(OID)))
    claimed = ChannelValues(phone="+48 999 999 999")
    body = Correction(phone="+48 601 234 567", replaced=claimed)
    (_, fix) = resolve(scenario, ticket.ticket_id, body)
    assert isinstance(fix, ev.OrderCorrected)
    assert fix.correction.replaced == ChannelValues(phone=None)
