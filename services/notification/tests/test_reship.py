"""Given events -> when -> then: a parcel that came back to sender, sent again, is told to the
customer once when planned and once on its way, with its tracking number."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.order import Address, CanonicalOrder
from ordo_notification.app import service
from ordo_notification.domain import REQUESTED_TOPIC, message_id_for
from ordo_notification.mail import LANGUAGES, render
from ordo_runtime.testing import Scenario, sample_order

ORDER = sample_order()
ID = ORDER.order_id
HOME = Address(
    name="Jan Kowalski", line1="ul. Długa 1", city="Warszawa", postcode="00-001", country="PL"
)


def received(order: CanonicalOrder = ORDER) -> ev.OrderReceived:
    return ev.OrderReceived(order_id=order.order_id, order=order)


def status(
    status: ev.ShipmentStatus,
    shipment_id: str = "S-1",
    replaces: str | None = None,
    tracking_number: str = "T1",
    order_id: str = ID,
) -> ev.ShipmentStatusChanged:
    return ev.ShipmentStatusChanged(
        order_id=order_id,
        shipment_id=shipment_id,
        status=status,
        carrier="InPost",
        tracking_number=tracking_number,
        replaces=replaces,
    )


def planned(
    shipment_id: str = "S-2",
    replaces: str | None = "S-1",
    order_id: str = ID,
    address: Address | None = HOME,
    pickup_point: str | None = None,
) -> ev.ShipmentPlanned:
    line = ev.ReservedLine(sku="SKU-1", quantity=1, warehouse="WAW")
    return ev.ShipmentPlanned(
        order_id=order_id,
        shipment_id=shipment_id,
        warehouse="WAW",
        lines=[line],
        address=address,
        pickup_point=pickup_point,
        replaces=replaces,
    )


def sent_again(shipment_id: str = "S-2", order_id: str = ID) -> list[ev.ShipmentStatusChanged]:
    """The new parcel's way out: handed over, on its way, the carrier repeating itself."""
    return [
        status(s, shipment_id, replaces="S-1", tracking_number="T2", order_id=order_id)
        for s in ("packed", "handed_to_carrier", "in_transit", "handed_to_carrier")
    ]


def requests(scenario: Scenario) -> list[Any]:
    """Every NotificationRequested recorded so far, in order: what the mailer will send."""
    log = scenario.app.process_recorder.select_notifications(
        start=0, limit=1000, topics=[REQUESTED_TOPIC], inclusive_of_start=False
    )
    return [scenario.app.mapper.to_domain_event(n) for n in log]


def came_back() -> list[ev.Event]:
    return [received(), status("handed_to_carrier"), status("returned_to_sender")]


def test_a_parcel_sent_again_is_told_once_per_new_parcel_in_the_customers_language() -> None:
    scenario = Scenario(service).given(*came_back())

    assert scenario.when(planned()) == []  # nothing goes to Kafka until the mail is sent
    scenario.when(planned())  # redelivered
    # The new parcel came back too, and is sent again in its turn: news again.
    scenario.when(status("returned_to_sender", "S-2", replaces="S-1"))
    scenario.when(planned("S-3", replaces="S-2"))

    told = requests(scenario)
    assert [r.status for r in told] == [
        "received",
        "shipped/S-1",
        "returned_to_sender/S-1",  # the returned parcel's own notices, as ever
        "reship_planned/S-2",
        "returned_to_sender/S-2",
        "reship_planned/S-3",
    ]
    again = told[3]
    assert (again.recipient, again.language) == ("jan@example.com", "pl")
    assert again.message_id == message_id_for(ID, "reship_planned/S-2")
    assert again.subject == "Wysyłamy ponownie zamówienie W-1"
    assert "zostanie wysłana ponownie na adres: Jan Kowalski, ul. Długa 1, 00-001 Warszawa" in (
        again.body
    )
    assert again.body.startswith("Dzień dobry Jan Kowalski,")


def test_the_orders_own_parcels_planned_are_not_news() -> None:
    scenario = Scenario(service).given(received())
    scenario.when(planned("S-1", replaces=None))
    assert [r.status for r in requests(scenario)] == ["received"]


def test_the_new_parcel_on_its_way_is_told_once_with_its_tracking_number() -> None:
    scenario = Scenario(service).given(*came_back(), planned())

    for event in sent_again():
        scenario.when(event)
    scenario.when(status("delivered", "S-2", replaces="S-1", tracking_number="T2"))

    told = requests(scenario)
    # Its hand-over is not a second "shipped": the email on its way stands for it.
    assert [r.status for r in told][3:] == [
        "reship_planned/S-2",
        "reship_shipped/S-2",
        "delivered/S-2",
    ]
    on_its_way = told[4]
    assert on_its_way.subject == "Zamówienie W-1 zostało wysłane ponownie"
    assert "jedzie z firmą InPost" in on_its_way.body
    assert "Numer przesyłki: T2" in on_its_way.body
    assert "T1" not in on_its_way.body


def test_a_new_parcel_first_heard_of_in_transit_is_told_on_its_way() -> None:
    scenario = Scenario(service).given(*came_back(), planned())
    scenario.when(status("in_transit", "S-2", replaces="S-1", tracking_number="T2"))
    assert requests(scenario)[-1].status == "reship_shipped/S-2"
    assert "T2" in requests(scenario)[-1].body


def test_a_new_parcel_first_heard_of_as_delivered_is_told_only_that() -> None:
    scenario = Scenario(service).given(*came_back(), planned())
    scenario.when(status("delivered", "S-2", replaces="S-1", tracking_number="T2"))
    assert [r.status for r in requests(scenario)][-2:] == ["reship_planned/S-2", "delivered/S-2"]


def test_a_new_parcel_that_could_not_be_delivered_is_told_on_its_way_then_the_failure() -> None:
    scenario = Scenario(service).given(*came_back(), planned())
    scenario.when(status("delivery_failed", "S-2", replaces="S-1", tracking_number="T2"))
    assert [r.status for r in requests(scenario)][-2:] == [
        "reship_shipped/S-2",
        "delivery_failed/S-2",
    ]


def test_an_english_customer_hears_of_a_parcel_sent_again_to_a_pickup_point_in_english() -> None:
    order = sample_order(language="en-GB", customer={"email": "ann@example.com"})
    oid = order.order_id
    scenario = Scenario(service).given(
        received(order),
        status("handed_to_carrier", order_id=oid),
        status("returned_to_sender", order_id=oid),
    )

    scenario.when(planned(order_id=oid, address=None, pickup_point="WAW01A"))
    for event in sent_again(order_id=oid):
        scenario.when(event)

    planned_email, on_its_way = requests(scenario)[-2:]
    assert (planned_email.recipient, planned_email.language) == ("ann@example.com", "en")
    assert planned_email.subject == "We are sending your order W-1 again"
    assert "is being sent to you again, to the pickup point WAW01A." in planned_email.body
    assert on_its_way.subject == "Your order W-1 has been sent again"
    assert "has left our warehouse with InPost" in on_its_way.body
    assert "Its tracking number is T2" in on_its_way.body


def test_a_parcel_sent_again_before_the_order_is_known_waits_for_its_email() -> None:
    # Topics are not ordered against each other.
    scenario = Scenario(service).given(planned(), *sent_again())
    assert requests(scenario) == []

    scenario.when(received())

    assert [r.status for r in requests(scenario)] == [
        "received",
        "reship_planned/S-2",
        "reship_shipped/S-2",
    ]


def test_after_a_cancellation_a_parcel_sent_again_is_not_told() -> None:
    cancelled = ev.OrderCancelled(order_id=ID, reason="customer asked", cancelled_by="ala")
    refunded = ev.PaymentRefunded(
        order_id=ID, amount=Decimal("10.00"), currency="PLN", reason="cancelled"
    )
    scenario = Scenario(service).given(*came_back(), planned(), cancelled)

    scenario.when(planned("S-3", replaces="S-1"))
    for event in sent_again():
        scenario.when(event)
    scenario.when(refunded)

    assert [r.status for r in requests(scenario)][3:] == [
        "reship_planned/S-2",
        "cancelled",
        "refunded",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_both_emails_of_a_parcel_sent_again_render_in_every_language(language: str) -> None:
    facts = {"name": "Jan", "reference": "W-9"}
    to_home = render("reship_planned", language, address="ul. Długa 1", pickup_point=None, **facts)
    to_point = render("reship_planned", language, address=None, pickup_point="WAW01A", **facts)
    unknown = render("reship_planned", language, address=None, pickup_point=None, **facts)
    assert "ul. Długa 1" in to_home[1]
    assert "WAW01A" in to_point[1]
    assert "W-9" in unknown[0]
    assert "W-9" in unknown[1]
    assert len(unknown[1]) < len(to_home[1])  # nothing to check: nothing asked of them

    on_its_way = {"carrier": "InPost", "tracking_number": "T2", "note": None, **facts}
    subject, body = render("reship_shipped", language, **on_its_way)
    assert "W-9" in subject
    assert "InPost" in body
    assert "T2" in body
    _, untracked = render("reship_shipped", language, **{**on_its_way, "tracking_number": None})
    assert "None" not in untracked
