"""Cancelling on the real stack: an operator asks through a ticket, fulfillment decides.
Before the hand-over the order is cancelled everywhere (shipment withdrawn, stock back,
money back, customer told); once the carrier took the parcel, the request is refused and
nothing is given back, even when ticketing had not heard of the hand-over yet."""

from __future__ import annotations

from typing import Any

import pytest

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_events.topics import FULFILLMENT, INVENTORY, PAYMENT
from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually, wait_for_status
from tests.integration.test_inventory_flows import stock_of
from tests.integration.test_order_paths import open_ticket, set_stock, submit
from tests.integration.test_payment_flows import count, publish, published, wait_for, webhook
from tests.integration.test_shipping_flows import carrier_update, tracked_status, travel

pytestmark = pytest.mark.integration


def told(ordo: Ordo, recipient: str, subject: str, what: str) -> None:
    """Wait for an email to `recipient` whose subject says `subject`."""
    eventually(
        lambda: [
            m
            for m in ordo.stack.mailbox.messages()
            if recipient in m.recipients and subject in str(m.message["Subject"])
        ],
        30,
        f"the customer told {what}",
    )


def released(ordo: Ordo, external_id: str, sku: str) -> tuple[CanonicalOrder, str]:
    """A prepaid order of 2 x `sku`, paid in full and released; and its one shipment's id."""
    set_stock(ordo, sku, 5)
    order = sample_order(
        external_id=external_id,
        language="en",
        customer={
            "name": "Ewa Lis",
            "email": f"{external_id}@example.com",
            "phone": "+48 601 234 567",
        },
        payment={"method": "prepaid", "settlement": "full"},
        lines=[{"sku": sku, "quantity": 2, "unit_price": "5.00"}],
    )
    submit(ordo, order)
    webhook(ordo, order, f"{external_id}-paid", "authorized", str(order.total))
    wait_for(ordo, order, "PaymentCaptured")
    wait_for_status(ordo, order.order_id, "ready_for_fulfillment")
    body = eventually(
        lambda: tracked_status(ordo, external_id, "preparing"), 30, "the planned shipment"
    )
    (shipment,) = body["shipments"]
    assert stock_of(ordo, sku)["available"] == 3
    return order, str(shipment["shipment_id"])


def complaint_ticket(ordo: Ordo, order: CanonicalOrder, message: str) -> dict[str, Any]:
    """The customer's call, entered as a complaint: the ticket an operator cancels through."""
    with ordo.http("fulfillment") as api:
        filed = api.post(
            f"/orders/{order.order_id}/complaints", json={"message": message, "by": "customer"}
        )
    assert filed.status_code == 201, filed.text
    return open_ticket(ordo, order.order_id, "complaint")


def ticket_status(ordo: Ordo, ticket_id: str, status: str) -> bool:
    with ordo.http("ticketing") as api:
        return bool(api.get(f"/tickets/{ticket_id}").json().get("status") == status)


def test_a_released_order_cancelled_before_the_hand_over_is_cancelled_everywhere(
    ordo: Ordo,
) -> None:
    order, shipment_id = released(ordo, "cxl-before", "CXL-1")
    ticket = complaint_ticket(ordo, order, "please cancel, I ordered twice")

    with ordo.http("ticketing") as api:
        asked = api.post(
            f"/tickets/{ticket['ticket_id']}/cancel-order", json={"reason": "ordered twice"}
        )
    assert asked.status_code == 202, asked.text
    assert asked.json()["cancellation"] == "requested"

    # The request (ordo.tickets) and the answer (ordo.fulfillment) reach the read model on
    # their own topics, each at its own pace.
    wait_for_status(
        ordo,
        order.order_id,
        "cancelled",
        events={"OrderCancellationRequested", "OrderCancelled", "ShipmentWithdrawn"},
        cancellation="cancelled",
    )
    (cancelled,) = published(ordo, FULFILLMENT.name, order, ev.OrderCancelled)
    assert cancelled.cancelled_by == "it-manager"  # the operator who asked, from the token
    (withdrawn,) = published(ordo, FULFILLMENT.name, order, ev.ShipmentWithdrawn)
    assert withdrawn.shipment_id == shipment_id
    eventually(lambda: tracked_status(ordo, "cxl-before", "cancelled"), 30, "cancelled on /track")

    eventually(
        lambda: published(ordo, INVENTORY.name, order, ev.StockReleased), 30, "the stock back"
    )
    assert stock_of(ordo, "CXL-1")["available"] == 5
    (refund,) = eventually(
        lambda: published(ordo, PAYMENT.name, order, ev.PaymentRefunded), 30, "the refund"
    )
    assert refund.amount == order.total
    told(ordo, "cxl-before@example.com", "has been cancelled", "of the cancellation")
    eventually(
        lambda: ticket_status(ordo, ticket["ticket_id"], "cancelled"), 30, "the ticket cancelled"
    )

    # The warehouse hands the withdrawn parcel over anyway: recorded, and an operator is told.
    carrier_update(
        ordo,
        shipment_id,
        shipment_id=shipment_id,
        status="handed_to_carrier",
        carrier="inpost",
        tracking_number="IT-CXL-1",
        time="2030-01-01T08:00:00Z",
    )
    late = open_ticket(ordo, order.order_id, "shipped_after_cancellation")
    assert "IT-CXL-1" in late["instructions"]
    assert count(ordo, order, "PaymentCaptured") == 1  # nothing taken again


def test_a_cancel_racing_the_hand_over_is_refused_and_nothing_is_given_back(
    ordo: Ordo,
) -> None:
    order, shipment_id = released(ordo, "cxl-race", "CXL-2")
    carrier_update(
        ordo,
        shipment_id,
        shipment_id=shipment_id,
        status="handed_to_carrier",
        carrier="inpost",
        time="2030-01-01T08:00:00Z",
    )
    # Fulfillment has the hand-over (its tracking view reads the gate)...
    eventually(lambda: tracked_status(ordo, "cxl-race", "shipped"), 30, "the hand-over")
    # ...and the request comes from a ticketing that had not heard of it yet: published as
    # ticketing publishes it, since its own early 409 would otherwise win the race here.
    publish(
        ordo,
        ev.OrderCancellationRequested(
            order_id=order.order_id, reason="ordered twice", requested_by="ola"
        ),
    )

    (refused,) = eventually(
        lambda: published(ordo, FULFILLMENT.name, order, ev.OrderCancellationRefused),
        30,
        "the refusal",
    )
    assert refused.shipments == [shipment_id]
    ticket = open_ticket(ordo, order.order_id, "cancellation_refused")
    assert f"POST /orders/{order.order_id}/returns" in ticket["instructions"]
    state = wait_for_status(ordo, order.order_id, "shipped", cancellation="refused")
    types = [entry["type"] for entry in state["timeline"]]
    assert "OrderCancelled" not in types
    assert published(ordo, FULFILLMENT.name, order, ev.OrderCancelled) == []
    assert published(ordo, PAYMENT.name, order, ev.PaymentRefunded) == []
    assert published(ordo, PAYMENT.name, order, ev.PaymentVoided) == []
    assert [e.reason for e in published(ordo, INVENTORY.name, order, ev.StockReleased)] == []
    eventually(
        lambda: stock_of(ordo, "CXL-2")["on_hand"] == 3, 30, "the two units gone with the parcel"
    )
    assert stock_of(ordo, "CXL-2")["available"] == 3  # nothing given back to sell again
    told(ordo, "cxl-race@example.com", "could not be cancelled", "the order goes ahead")


def test_an_order_whose_parcel_came_back_is_cancelled_from_its_ticket_and_refunded(
    ordo: Ordo,
) -> None:
    order, shipment_id = released(ordo, "cxl-back", "CXL-3")
    travel(
        ordo,
        shipment_id,
        "IT-CXL-3",
        ("handed_to_carrier", "01"),
        ("returned_to_sender", "04"),
        why_back="address unknown",
    )
    ticket = open_ticket(ordo, order.order_id, "returned_to_sender")
    assert "cancel the order from this ticket" in ticket["instructions"]
    eventually(lambda: stock_of(ordo, "CXL-3")["on_hand"] == 5, 30, "the parcel back in stock")

    with ordo.http("ticketing") as api:
        asked = api.post(
            f"/tickets/{ticket['ticket_id']}/cancel-order", json={"reason": "address unknown"}
        )
    assert asked.status_code == 202, asked.text

    wait_for_status(
        ordo,
        order.order_id,
        "cancelled",
        events={"OrderCancellationRequested", "OrderCancelled", "PaymentRefunded"},
        cancellation="cancelled",
    )
    # Nothing to withdraw: the only parcel is back, and stays recorded as returned.
    assert published(ordo, FULFILLMENT.name, order, ev.ShipmentWithdrawn) == []
    eventually(lambda: tracked_status(ordo, "cxl-back", "cancelled"), 30, "cancelled on /track")
    (refund,) = eventually(
        lambda: published(ordo, PAYMENT.name, order, ev.PaymentRefunded), 30, "the refund"
    )
    assert refund.amount == order.total
    assert stock_of(ordo, "CXL-3")["available"] == 5  # back once, not twice
    eventually(
        lambda: ticket_status(ordo, ticket["ticket_id"], "cancelled"), 30, "the ticket closed"
    )
    told(ordo, "cxl-back@example.com", "has been cancelled", "of the cancellation")
