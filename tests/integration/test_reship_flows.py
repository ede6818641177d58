"""Sending a parcel that came back to sender again, on the real stack: from its ticket, the
operator asks; inventory holds the units again (or says they are gone, and an operator
restocks and asks again); fulfillment plans a new parcel in the old one's place; the new
parcel leaves and is delivered; the customer pays once, and is told."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_events.topics import FULFILLMENT, PAYMENT
from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually, wait_for_status
from tests.integration.test_cancellation_flows import ticket_status
from tests.integration.test_order_paths import open_ticket, set_stock, submit
from tests.integration.test_payment_flows import published, wait_for, webhook
from tests.integration.test_shipping_flows import stock_where, tracked_status, travel

pytestmark = pytest.mark.integration


def customer(external_id: str) -> dict[str, str]:
    return {"name": "Ola Nowak", "email": f"{external_id}@example.com", "phone": "+48 601 234 567"}


def leave_and_come_back(ordo: Ordo, shipment_id: str, tracking_number: str) -> None:
    travel(
        ordo,
        shipment_id,
        tracking_number,
        ("handed_to_carrier", "01"),
        ("returned_to_sender", "04"),
    )


def deliver(ordo: Ordo, shipment_id: str, tracking_number: str) -> None:
    travel(ordo, shipment_id, tracking_number, ("handed_to_carrier", "10"), ("delivered", "11"))


def reship(ordo: Ordo, ticket_id: str, body: dict[str, Any] | None = None) -> None:
    with ordo.http("ticketing") as api:
        asked = api.post(f"/tickets/{ticket_id}/reship", json=body or {})
    assert asked.status_code == 202, asked.text


def replacement(ordo: Ordo, order: CanonicalOrder) -> ev.ShipmentPlanned:
    def planned() -> ev.ShipmentPlanned | None:
        found = published(ordo, FULFILLMENT.name, order, ev.ShipmentPlanned)
        return next((p for p in found if p.replaces is not None), None)

    return eventually(planned, 60, "the parcel planned again")


def test_a_cash_on_delivery_parcel_is_sent_again_delivered_and_collected_once(
    ordo: Ordo,
) -> None:
    set_stock(ordo, "RSH-1", 10)
    order = sample_order(
        external_id="rsh-1",
        language="en",
        customer=customer("rsh-1"),
        lines=[{"sku": "RSH-1", "quantity": 2, "unit_price": "30.00"}],
    )  # cash on delivery
    order_id = submit(ordo, order)
    wait_for_status(ordo, order_id, "ready_for_fulfillment", payment="cash_on_delivery")
    first = f"{order_id}-S1"
    leave_and_come_back(ordo, first, "IT-RSH-1")
    ticket = open_ticket(ordo, order_id, "returned_to_sender")
    assert "60.00 PLN of the order is not paid" in ticket["instructions"]
    eventually(lambda: stock_where(ordo, "RSH-1", "available", 10), 30, "the parcel back")

    reship(ordo, ticket["ticket_id"])

    planned = replacement(ordo, order)
    assert (planned.replaces, planned.shipment_id) == (first, f"{order_id}-S2")
    assert [(line.sku, line.quantity) for line in planned.lines] == [("RSH-1", 2)]
    assert planned.address == order.delivery.address  # where the first one went
    # Held again for the order: on the shelf, not for sale.
    level = eventually(lambda: stock_where(ordo, "RSH-1", "available", 8), 30, "held again")
    assert (level["on_hand"], level["reserved"]) == (10, 2)
    eventually(lambda: ticket_status(ordo, ticket["ticket_id"], "resolved"), 30, "resolved")
    wait_for_status(
        ordo,
        order_id,
        "ready_for_fulfillment",
        events={"ReshipRequested", "StockReheld", "ShipmentPlanned"},
    )

    deliver(ordo, planned.shipment_id, "IT-RSH-2")

    state = wait_for_status(ordo, order_id, "delivered", events={"PaymentCaptured"})
    assert Decimal(state["not_collected"]) == 0  # the second parcel brought the cash
    eventually(lambda: tracked_status(ordo, "rsh-1", "delivered"), 30, "delivered on /track")
    level = eventually(lambda: stock_where(ordo, "RSH-1", "on_hand", 8), 30, "it left")
    assert (level["reserved"], level["available"]) == (0, 8)
    (captured,) = published(ordo, PAYMENT.name, order, ev.PaymentCaptured)
    assert captured.amount == order.total  # collected once, in full
    told_again(ordo, "rsh-1@example.com")


def test_a_parcel_whose_units_were_sold_meanwhile_is_sent_again_once_restocked(
    ordo: Ordo,
) -> None:
    set_stock(ordo, "RSH-2", 1)
    order = sample_order(
        external_id="rsh-2",
        language="en",
        customer=customer("rsh-2"),
        payment={"method": "prepaid", "settlement": "held"},
        lines=[{"sku": "RSH-2", "quantity": 1, "unit_price": "10.00"}],
    )
    order_id = submit(ordo, order)
    webhook(ordo, order, "rsh-2-paid", "authorized", str(order.total))
    wait_for_status(ordo, order_id, "ready_for_fulfillment")
    first = f"{order_id}-S1"
    leave_and_come_back(ordo, first, "IT-RSH-3")
    wait_for(ordo, order, "PaymentCaptured")  # the held share, taken as it left
    ticket = open_ticket(ordo, order_id, "returned_to_sender")
    eventually(lambda: stock_where(ordo, "RSH-2", "on_hand", 1), 30, "the parcel back")
    set_stock(ordo, "RSH-2", 0)  # sold in the shop meanwhile: the shelf is empty

    reship(ordo, ticket["ticket_id"])

    short = open_ticket(ordo, order_id, "reship_short")
    assert "RSH-2" in short["instructions"]
    assert ticket_status(ordo, ticket["ticket_id"], "open")  # still to be dealt with
    set_stock(ordo, "RSH-2", 1)
    moved = {
        "name": "Ola Nowak",
        "line1": "Nowa 5",
        "city": "Kraków",
        "postcode": "30-001",
        "country": "PL",
    }
    reship(ordo, ticket["ticket_id"], {"address": moved})

    planned = replacement(ordo, order)
    assert planned.address is not None
    assert planned.address.line1 == "Nowa 5"
    for done in (ticket["ticket_id"], short["ticket_id"]):
        eventually(partial(ticket_status, ordo, done, "resolved"), 30, "tickets resolved")
    deliver(ordo, planned.shipment_id, "IT-RSH-4")
    wait_for_status(ordo, order_id, "delivered")
    # The held share was taken when the first parcel left; the second takes nothing more.
    (captured,) = published(ordo, PAYMENT.name, order, ev.PaymentCaptured)
    assert captured.amount == order.total
    level = eventually(lambda: stock_where(ordo, "RSH-2", "on_hand", 0), 30, "it left")
    assert (level["reserved"], level["available"]) == (0, 0)


def told_again(ordo: Ordo, recipient: str) -> None:
    """The customer heard that the parcel is on its way again (notification's notice)."""
    eventually(
        lambda: [
            m
            for m in ordo.stack.mailbox.messages()
            if recipient in m.recipients and "reship" in str(m.message["X-Ordo-Status"])
        ],
        30,
        "the customer told the parcel is sent again",
    )
