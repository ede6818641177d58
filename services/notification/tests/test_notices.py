"""Given events -> when -> then: which emails the notification service asks to be sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder, Correction
from ordo_notification.app import service
from ordo_notification.domain import (
    REQUESTED_TOPIC,
    RESHIP_PLANNED,
    RESHIP_SHIPPED,
    SHIPMENT_STATUSES,
    STATUS_OF,
    CustomerNotices,
    message_id_for,
)
from ordo_notification.mail import LANGUAGES, language_for, render
from ordo_runtime.testing import Scenario, sample_order

ORDER = sample_order()
ID = ORDER.order_id


def received(order: CanonicalOrder = ORDER) -> ev.OrderReceived:
    return ev.OrderReceived(order_id=order.order_id, order=order)


def shortage(order_id: str = ID) -> ev.StockShortage:
    missing = [ev.MissingStock(sku="SKU-1", requested=1, available=0)]
    return ev.StockShortage(order_id=order_id, missing=missing)


def payment_failed(order_id: str = ID) -> ev.PaymentFailed:
    return ev.PaymentFailed(order_id=order_id, reason="card declined")


def phone_missing(order_id: str = ID) -> ev.OrderValidationFailed:
    issue = ev.Issue(code="phone.missing", field="customer.phone", message="No phone number.")
    return ev.OrderValidationFailed(order_id=order_id, issues=[issue])


def notices(scenario: Scenario, order_id: str = ID) -> CustomerNotices:
    found: object = scenario.app.repository.get(CustomerNotices.create_id(order_id))
    assert isinstance(found, CustomerNotices)
    return found


def requests(scenario: Scenario) -> list[Any]:
    """Every NotificationRequested recorded so far, in order: what the mailer will send."""
    log = scenario.app.process_recorder.select_notifications(
        start=0, limit=1000, topics=[REQUESTED_TOPIC], inclusive_of_start=False
    )
    return [scenario.app.mapper.to_domain_event(n) for n in log]


def test_a_received_order_asks_for_one_email_and_a_redelivery_asks_for_none() -> None:
    scenario = Scenario(service)
    assert scenario.when(received()) == []  # nothing goes to Kafka until the mail is sent
    (request,) = requests(scenario)
    assert (request.status, request.recipient, request.language) == (
        "received",
        "jan@example.com",
        "pl",
    )
    assert request.message_id == message_id_for(ID, "received")
    assert request.message_id.endswith("@ordo>")
    assert "W-1" in request.subject
    assert "Jan Kowalski" in request.body
    version = notices(scenario).version

    scenario.when(received())  # the same event again, under a new CloudEvent id

    assert len(requests(scenario)) == 1
    assert notices(scenario).version == version
    assert notices(scenario).requested == ["received"]


def test_a_status_before_the_order_waits_for_its_email() -> None:
    scenario = Scenario(service).given(shortage())
    assert requests(scenario) == []
    assert list(notices(scenario).pending) == ["delayed"]

    scenario.when(received())

    assert [(r.status, r.recipient) for r in requests(scenario)] == [
        ("received", "jan@example.com"),
        ("delayed", "jan@example.com"),
    ]
    assert notices(scenario).pending == {}


def test_each_status_is_asked_for_once() -> None:
    scenario = Scenario(service).given(received())
    scenario.when(shortage())
    scenario.when(shortage())  # delivered twice
    scenario.when(payment_failed())  # another event meaning the same status
    delayed = [r for r in requests(scenario) if r.status == "delayed"]
    assert len(delayed) == 1
    assert "magazynie" in delayed[0].body  # the first reason given is the one told
    assert notices(scenario).requested == ["received", "delayed"]


def test_a_failed_validation_says_what_is_missing_in_plain_words() -> None:
    order = sample_order(language="en", customer={"email": "ann@example.com"})
    scenario = Scenario(service).given(received(order), phone_missing(order.order_id))
    action = requests(scenario)[-1]
    assert action.status == "action_needed"
    assert "your phone number" in action.body
    assert "phone.missing" not in action.body


def test_templates_render_in_polish_for_a_polish_order() -> None:
    scenario = Scenario(service).given(received(), phone_missing())
    first, action = requests(scenario)
    assert first.subject == "Otrzymaliśmy Twoje zamówienie W-1"
    assert first.body.startswith("Dzień dobry Jan Kowalski,")
    assert "- numer telefonu" in action.body


def test_ready_for_fulfillment_confirms_the_order() -> None:
    ready = ev.OrderReadyForFulfillment(order_id=ID, lines=[])
    scenario = Scenario(service).given(received(), ready)
    assert [r.status for r in requests(scenario)] == ["received", "confirmed"]
    assert "magazynu" in requests(scenario)[-1].subject


def test_an_order_without_email_asks_for_nothing() -> None:
    order = sample_order(customer={"phone": "+48 601 234 567"})
    scenario = Scenario(service).given(shortage(order.order_id), received(order))
    scenario.when(payment_failed(order.order_id))
    assert requests(scenario) == []
    assert notices(scenario, order.order_id).pending == {}


def test_a_corrected_email_receives_later_emails() -> None:
    fixed = Correction(email="jan.k@example.com")
    corrected = ev.OrderCorrected(
        order_id=ID, ticket_id="t-1", corrected_by="ola", correction=fixed, order=fixed.apply(ORDER)
    )
    scenario = Scenario(service).given(received(), corrected)
    version = notices(scenario).version
    scenario.when(corrected)  # again: the email is already the new one
    assert notices(scenario).version == version

    scenario.when(shortage())

    assert [(r.status, r.recipient) for r in requests(scenario)] == [
        ("received", "jan@example.com"),
        ("delayed", "jan.k@example.com"),
    ]


def test_a_revision_taken_before_release_sends_later_emails_to_its_address() -> None:
    customer = ORDER.customer.model_copy(update={"email": "jan.nowy@example.com"})
    revised = ORDER.model_copy(update={"customer": customer, "language": "de"})
    accepted = ev.OrderRevisionAccepted(order_id=ID, order=revised, sequence=1)
    scenario = Scenario(service).given(received(), accepted)

    scenario.when(shortage())

    assert [(r.status, r.recipient, r.language) for r in requests(scenario)] == [
        ("received", "jan@example.com", "pl"),
        ("delayed", "jan.nowy@example.com", "de"),
    ]


def test_a_correction_built_on_an_older_version_does_not_undo_a_revisions_address() -> None:
    # The operator added a phone to the order as received while the gate took the channel's
    # revision with a new address: the correction changes no email, so none goes back.
    customer = ORDER.customer.model_copy(update={"email": "jan.nowy@example.com"})
    revised = ORDER.model_copy(update={"customer": customer})
    fixed = Correction(phone="+48 601 234 567")
    stale = ev.OrderCorrected(
        order_id=ID, ticket_id="t-1", corrected_by="ola", correction=fixed, order=fixed.apply(ORDER)
    )
    accepted = ev.OrderRevisionAccepted(order_id=ID, order=revised, sequence=1)
    scenario = Scenario(service).given(received(), accepted, stale)

    scenario.when(shortage())

    assert [r.recipient for r in requests(scenario)] == ["jan@example.com", "jan.nowy@example.com"]


def test_a_revision_after_an_email_correction_keeps_the_corrected_email() -> None:
    # The channel never had the address the operator got from the customer.
    fixed = Correction(email="jan.k@example.com")
    corrected = ev.OrderCorrected(
        order_id=ID, ticket_id="t-1", corrected_by="ola", correction=fixed, order=fixed.apply(ORDER)
    )
    more = [ORDER.lines[0].model_copy(update={"quantity": 3})]
    accepted = ev.OrderRevisionAccepted(
        order_id=ID, order=ORDER.model_copy(update={"lines": more}), sequence=1
    )
    scenario = Scenario(service).given(received(), corrected, accepted)

    scenario.when(shortage())

    assert [r.recipient for r in requests(scenario)] == ["jan@example.com", "jan.k@example.com"]


def email_corrected(built_on: CanonicalOrder, email: str) -> ev.OrderCorrected:
    """As ticketing sends it: knowing what the channel's version had in the email."""
    fix = Correction(email=email).based_on(built_on)
    return ev.OrderCorrected(
        order_id=ID, ticket_id="t-1", corrected_by="ola", correction=fix, order=fix.apply(built_on)
    )


def with_email(email: str) -> CanonicalOrder:
    return ORDER.model_copy(update={"customer": ORDER.customer.model_copy(update={"email": email})})


def test_a_revision_with_an_address_of_its_own_replaces_the_corrected_one() -> None:
    # The customer put a new address in the shop after the operator corrected it by phone.
    own = ev.OrderRevisionAccepted(order_id=ID, order=with_email("jan.n@example.com"), sequence=1)
    scenario = Scenario(service).given(received(), email_corrected(ORDER, "jan.k@example.com"), own)

    scenario.when(shortage())

    assert [r.recipient for r in requests(scenario)] == ["jan@example.com", "jan.n@example.com"]


def test_a_correction_built_before_the_channel_changed_the_address_changes_none() -> None:
    # The revision with the customer's new address came first; the operator's correction
    # was made on the version before it, whose address the channel no longer has.
    own = ev.OrderRevisionAccepted(order_id=ID, order=with_email("jan.n@example.com"), sequence=1)
    scenario = Scenario(service).given(received(), own, email_corrected(ORDER, "jan.k@example.com"))

    scenario.when(shortage())

    assert [r.recipient for r in requests(scenario)] == ["jan@example.com", "jan.n@example.com"]


def test_a_revision_keeping_the_channels_address_keeps_the_corrected_one() -> None:
    more = [ORDER.lines[0].model_copy(update={"quantity": 3})]
    same = ev.OrderRevisionAccepted(
        order_id=ID, order=ORDER.model_copy(update={"lines": more}), sequence=1
    )
    scenario = Scenario(service).given(
        received(), email_corrected(ORDER, "jan.k@example.com"), same
    )

    scenario.when(shortage())

    assert [r.recipient for r in requests(scenario)] == ["jan@example.com", "jan.k@example.com"]


def test_an_email_correction_recorded_before_the_fixes_were_kept_applies_over_any_version() -> None:
    # As notices rebuilt from older events: the corrected email alone, no fix to compare.
    contact: dict[str, Any] = {
        "email": "jan@example.com",
        "name": "Jan",
        "language": "pl",
        "market": "PL",
        "reference": "W-1",
    }
    notices = CustomerNotices(ID, contact)
    notices.learn_contact(**contact, corrected="jan.k@example.com")
    assert notices.email_in_force("jan.n@example.com") == "jan.k@example.com"
    newer = email_corrected(ORDER, "jan.z@example.com").correction.model_dump(mode="json")
    assert notices.email_in_force("jan@example.com", newer) == "jan.z@example.com"


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("pl", "pl"),
        ("pl-PL", "pl"),
        ("en_GB", "en"),
        ("de", "de"),
        ("ru-RU", "ru"),
        ("fr", "en"),
        ("", "en"),
    ],
)
def test_the_language_of_an_order_chooses_the_templates(tag: str, language: str) -> None:
    assert language_for(tag) == language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "status",
    sorted({*STATUS_OF.values(), *SHIPMENT_STATUSES.values(), RESHIP_PLANNED, RESHIP_SHIPPED}),
)
def test_every_status_has_a_template_in_every_language(status: str, language: str) -> None:
    facts = {
        "issues": [{"code": "phone.missing", "field": "customer.phone"}],
        "reason": "stock",
        "carrier": None,
        "tracking_number": None,
        "note": None,
        "amount": "10.00",
        "currency": "PLN",
        "deadline": "2026-11-23 12:00 UTC",
        "parcels": 1,
        "address": None,
        "pickup_point": None,
    }
    subject, body = render(status, language, name=None, reference="W-9", **facts)
    assert "W-9" in subject
    assert "\n" not in subject
    assert "W-9" in body
    assert "None" not in body


def shipment(status: str, shipment_id: str = "S-1") -> ev.ShipmentStatusChanged:
    return ev.ShipmentStatusChanged(
        order_id=ID, shipment_id=shipment_id, status=status, carrier="InPost", tracking_number="T1"
    )


def test_parcels_are_told_when_sent_and_delivered_each_once_and_transit_is_not() -> None:
    scenario = Scenario(service).given(received())

    scenario.when(shipment("packed"))
    scenario.when(shipment("handed_to_carrier"))
    scenario.when(shipment("in_transit"))
    scenario.when(shipment("handed_to_carrier"))  # the carrier repeats itself
    scenario.when(shipment("delivered"))
    scenario.when(shipment("delivered", shipment_id="S-2"))  # the order's second parcel

    told = [(r.status, r.subject) for r in requests(scenario)]
    assert [status for status, _ in told] == [
        "received",
        "shipped/S-1",
        "delivered/S-1",
        "delivered/S-2",
    ]
    assert "W-1" in told[1][1]
    shipped = requests(scenario)[1]
    assert "T1" in shipped.body
    assert "InPost" in shipped.body


def test_a_cancellation_and_its_refund_are_each_told_once() -> None:
    scenario = Scenario(service).given(received())
    cancelled = ev.OrderCancelled(order_id=ID, reason="customer asked", cancelled_by="ala")
    refunded = ev.PaymentRefunded(
        order_id=ID, amount=Decimal("120.50"), currency="PLN", reason="cancelled"
    )

    scenario.when(cancelled)
    scenario.when(cancelled)
    scenario.when(refunded)

    statuses = [r.status for r in requests(scenario)]
    assert statuses == ["received", "cancelled", "refunded"]
    assert "customer asked" in requests(scenario)[1].body
    assert "120.50 PLN" in requests(scenario)[2].subject


def test_a_parcel_returned_to_sender_is_told_once_with_the_carriers_reason() -> None:
    scenario = Scenario(service).given(received())
    back = shipment("returned_to_sender").model_copy(update={"note": "odmowa przyjęcia"})
    scenario.when(shipment("handed_to_carrier"))
    scenario.when(back)
    scenario.when(back)  # the carrier says it again
    told = requests(scenario)
    assert [r.status for r in told] == ["received", "shipped/S-1", "returned_to_sender/S-1"]
    returned = told[2]
    assert (returned.language, returned.subject) == (
        "pl",
        "Przesyłka z zamówieniem W-1 wróciła do nas",
    )
    assert "odmowa przyjęcia" in returned.body
    assert "ponowną wysyłkę albo zwrot pieniędzy" in returned.body


def test_after_the_cancellation_the_customer_hears_only_of_the_refund() -> None:
    scenario = Scenario(service).given(received())
    scenario.when(ev.OrderCancelled(order_id=ID, reason="customer asked", cancelled_by="ala"))
    # The warehouse handed a withdrawn parcel over after all: an operator's ticket, not ours.
    scenario.when(shipment("handed_to_carrier"))
    scenario.when(shipment("delivered"))
    scenario.when(
        ev.PaymentRefunded(order_id=ID, amount=Decimal("10.00"), currency="PLN", reason="x")
    )
    assert [r.status for r in requests(scenario)] == ["received", "cancelled", "refunded"]


def refused(*shipments: str, order_id: str = ID) -> ev.OrderCancellationRefused:
    return ev.OrderCancellationRefused(
        order_id=order_id, reason="ordered twice", requested_by="ola", shipments=list(shipments)
    )


def test_a_refused_cancellation_is_told_once_however_often_fulfillment_answers() -> None:
    scenario = Scenario(service).given(received(), shipment("handed_to_carrier"))

    assert scenario.when(refused("S-1")) == []
    version = notices(scenario).version
    scenario.when(refused("S-1"))  # redelivered
    # The same request answered again after a second parcel left: not news to the customer.
    scenario.when(refused("S-1", "S-2"))

    told = requests(scenario)
    assert [r.status for r in told] == ["received", "shipped/S-1", "cancellation_refused"]
    refusal = told[-1]
    assert (refusal.recipient, refusal.language) == ("jan@example.com", "pl")
    assert refusal.message_id == message_id_for(ID, "cancellation_refused")
    assert refusal.subject == "Nie udało się anulować zamówienia W-1"
    assert "odmówić przyjęcia przesyłki" in refusal.body
    assert "śledzić u przewoźnika: InPost T1." in refusal.body  # kept from the hand-over
    assert notices(scenario).version == version


def test_a_parcels_tracking_number_is_kept_once_and_only_once_it_left() -> None:
    scenario = Scenario(service).given(received(), shipment("packed"))
    assert notices(scenario).tracking == {}  # still in the warehouse
    scenario.when(shipment("handed_to_carrier"))
    version = notices(scenario).version
    scenario.when(shipment("in_transit"))  # the same number again: nothing to keep
    assert notices(scenario).version == version
    assert notices(scenario).tracking == {"S-1": {"carrier": "InPost", "number": "T1"}}


def test_a_refusal_says_the_goods_left_and_how_to_send_them_back_and_promises_no_money() -> None:
    order = sample_order(language="en", customer={"email": "ann@example.com"})
    scenario = Scenario(service).given(received(order))

    scenario.when(refused("S-1", "S-2", order_id=order.order_id))

    refusal = requests(scenario)[-1]
    assert refusal.subject == "Your order W-1 could not be cancelled"
    assert "parcels from it had already been handed to the carrier" in refusal.body
    assert "refuse the parcels at delivery, or send them back" in refusal.body
    assert "refund" not in refusal.body
    assert "ordered twice" not in refusal.body  # the request's reason is the operator's note
    assert "follow" not in refusal.body  # no tracking number known for either parcel


def test_a_refused_cancellation_leaves_the_order_going_and_its_parcels_told() -> None:
    scenario = Scenario(service).given(received(), refused("S-1"))

    scenario.when(shipment("handed_to_carrier", shipment_id="S-2"))
    scenario.when(shipment("delivered"))

    assert [r.status for r in requests(scenario)] == [
        "received",
        "cancellation_refused",
        "shipped/S-2",
        "delivered/S-1",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refusal_names_one_parcel_or_several_in_every_language(language: str) -> None:
    one = render("cancellation_refused", language, name="Jan", reference="W-9", parcels=1)
    two = render("cancellation_refused", language, name="Jan", reference="W-9", parcels=2)
    assert one[0] == two[0]
    assert one[1] != two[1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refusal_gives_the_tracking_numbers_known_in_every_language(language: str) -> None:
    tracking = [{"carrier": "InPost", "number": "T1"}, {"carrier": None, "number": "T2"}]
    facts = {"name": "Jan", "reference": "W-9", "parcels": 2}
    _, body = render("cancellation_refused", language, tracking=tracking, **facts)
    assert "InPost T1, T2." in body
    _, without = render("cancellation_refused", language, tracking=[], **facts)
    _, older = render("cancellation_refused", language, **facts)  # held before it was kept
    assert "T1" not in without
    assert without == older
