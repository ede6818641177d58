"""An operator's correction on the channel's versions of an order: it stays on each version
that still has what the channel had when it was made, and gives way once the channel
changes that field (the customer's newer word)."""

from __future__ import annotations

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import (
    Address,
    CanonicalOrder,
    ChannelValues,
    Correction,
    DeliveryMethod,
    corrected,
)
from ordo_events.state import OrderState

SENT = CanonicalOrder.model_validate(
    {
        "channel": "webshop",
        "external_id": "C-1",
        "customer": {"name": "Jan Kowalski", "email": "jan@example.com"},
        "delivery": {
            "method": "courier",
            "address": {
                "line1": "Długa 1",
                "city": "Gdańsk",
                "postcode": "80-001",
                "country": "PL",
            },
        },
        "payment": {"method": "prepaid"},
        "lines": [{"sku": "SKU-1", "quantity": 1, "unit_price": "10.00"}],
    }
)
OID = SENT.order_id
PHONE = Correction(phone="+48 601 234 567").based_on(SENT)


def customer(order: CanonicalOrder, **fields: str | None) -> CanonicalOrder:
    return order.model_copy(update={"customer": order.customer.model_copy(update=fields)})


def test_a_correction_keeps_what_the_channel_had_in_the_fields_it_sets_only() -> None:
    fix = Correction(phone="+48 601 234 567", note="called").based_on(SENT)
    assert fix.replaced == ChannelValues(phone=None)
    moved = Address(line1="Krótka 2", city="Gdańsk", postcode="80-002", country="PL")
    both = Correction(email="jan.k@example.com", delivery_address=moved).based_on(SENT)
    assert both.replaced == ChannelValues(
        email="jan@example.com", delivery_address=SENT.delivery.address
    )
    assert Correction(phone="+48 601 234 567").based_on(None).replaced is None


def test_a_revision_that_keeps_the_channels_value_keeps_the_correction() -> None:
    revised = SENT.model_copy(update={"language": "de"})
    assert corrected(revised, [PHONE]) == customer(revised, phone="+48 601 234 567")


def test_a_revision_with_a_value_of_its_own_in_a_corrected_field_wins() -> None:
    revised = customer(SENT, phone="+48 602 000 111")
    assert corrected(revised, [PHONE]) == revised


def test_only_the_field_the_channel_changed_gives_way() -> None:
    fix = Correction(phone="+48 601 234 567", delivery_method=DeliveryMethod.STORE_PICKUP)
    fix = fix.based_on(SENT)
    revised = customer(SENT, phone="+48 602 000 111")
    in_force = corrected(revised, [fix])
    assert in_force.customer.phone == "+48 602 000 111"
    assert in_force.delivery.method is DeliveryMethod.STORE_PICKUP


def test_later_corrections_of_a_field_are_judged_on_the_channels_version() -> None:
    # The second correction remembers the channel's (no phone), not the first one's phone.
    second = Correction(phone="+48 603 333 444").based_on(SENT)
    assert corrected(SENT, [PHONE, second]).customer.phone == "+48 603 333 444"
    revised = customer(SENT, phone="+48 602 000 111")
    assert corrected(revised, [PHONE, second]).customer.phone == "+48 602 000 111"


def test_a_correction_made_before_ordo_kept_the_channels_values_always_applies() -> None:
    legacy = Correction(phone="+48 601 234 567")
    revised = customer(SENT, phone="+48 602 000 111")
    assert corrected(revised, [legacy]).customer.phone == "+48 601 234 567"


def test_the_order_state_takes_the_channels_newer_phone_over_the_correction() -> None:
    revised = customer(SENT, phone="+48 602 000 111")
    history: list[ev.Event] = [
        ev.OrderReceived(order_id=OID, order=SENT),
        ev.OrderCorrected(
            order_id=OID,
            ticket_id="t-1",
            corrected_by="ola",
            correction=PHONE,
            order=PHONE.apply(SENT),
        ),
        ev.OrderRevised(order_id=OID, order=revised),
    ]
    state = OrderState(OID)
    for event in history:
        state = state.apply(Envelope(data=event, source="/test"))
    assert state.order == revised
