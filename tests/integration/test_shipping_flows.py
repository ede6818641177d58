"""Shipping on the real stack: a released order is planned into shipments, carriers' updates
on ordo.carrier.events move it to delivered (seen on public tracking and on ticketing's order
view), and a return runs from request to the refund it states; a pickup is collected by the
person the order named; units that left stop being held, so a later count agrees; a cash on
delivery parcel returned to sender is back in stock, not collected, ticketed and told."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ordo_cli.reconcile import reconcile
from ordo_events.topics import CARRIER_EVENTS, DEAD_LETTER, STOCK_SYNC
from ordo_runtime.testing import COMPANY_INVOICE, sample_order
from tests.integration.conftest import Ordo, eventually, wait_for_status
from tests.integration.kafka_tools import read_raw, send
from tests.integration.test_inventory_flows import stock_of
from tests.integration.test_order_paths import open_ticket, set_stock, submit

pytestmark = pytest.mark.integration


def track(ordo: Ordo, number: str, postcode: str) -> httpx.Response:
    # No token: tracking is public.
    with httpx.Client(base_url=ordo.urls["fulfillment"], timeout=10) as public:
        return public.get(f"/track/{number}", params={"postcode": postcode})


def carrier_update(ordo: Ordo, key: str, **update: Any) -> None:
    send(
        ordo.stack.kafka_bootstrap,
        CARRIER_EVENTS.name,
        [(key.encode(), json.dumps(update).encode(), [])],
    )


def travel(
    ordo: Ordo,
    shipment_id: str,
    tracking_number: str,
    *steps: tuple[str, str],
    why_back: str = "nobody home",
) -> None:
    """An inpost parcel's updates: (status, day of January 2030) in order; one returned to
    sender says `why_back`."""
    for status, day in steps:
        carrier_update(
            ordo,
            shipment_id,
            shipment_id=shipment_id,
            status=status,
            carrier="inpost",
            tracking_number=tracking_number,
            note=why_back if status == "returned_to_sender" else None,
            time=f"2030-01-{day}T08:00:00Z",
        )


def tracked_status(ordo: Ordo, number: str, status: str) -> dict[str, Any] | None:
    response = track(ordo, number, "00-001")
    body: dict[str, Any] = response.json() if response.status_code == 200 else {}
    return body if body.get("status") == status else None


def test_released_order_ships_is_delivered_and_partly_returned(ordo: Ordo) -> None:
    set_stock(ordo, "SHIP-1", 10)
    order = sample_order(
        external_id="ship-1", lines=[{"sku": "SHIP-1", "quantity": 2, "unit_price": "30.00"}]
    )
    order_id = submit(ordo, order)
    wait_for_status(ordo, order_id, "ready_for_fulfillment")
    planned = eventually(
        lambda: tracked_status(ordo, "ship-1", "preparing"), 30, "planned shipment"
    )
    (shipment,) = planned["shipments"]
    shipment_id = shipment["shipment_id"]
    assert shipment_id == f"{order_id}-S1"

    wrong = track(ordo, "ship-1", "99-999")
    unknown = track(ordo, "no-such-order", "00-001")
    assert (
        (wrong.status_code, wrong.text)
        == (unknown.status_code, unknown.text)
        == (404, unknown.text)
    )

    # A carrier keys its feed by tracking number, so one parcel's updates stay in order.
    carrier_update(
        ordo,
        "IT-TN-1",
        shipment_id=shipment_id,
        status="handed_to_carrier",
        carrier="inpost",
        tracking_number="IT-TN-1",
        time="2030-01-01T08:00:00Z",
    )
    carrier_update(
        ordo, "IT-TN-1", tracking_number="IT-TN-1", status="in_transit", time="2030-01-01T12:00:00Z"
    )
    carrier_update(
        ordo, "IT-TN-1", tracking_number="IT-TN-1", status="delivered", time="2030-01-02T10:00:00Z"
    )
    carrier_update(
        ordo,
        "bad",
        status="delivered",
        shipment_id="no-such-shipment-S1",
        time="2030-01-02T10:00:00Z",
    )

    body = eventually(
        lambda: tracked_status(ordo, "ship-1", "delivered"), 30, "delivered on /track"
    )
    timeline = [step["status"] for step in body["shipments"][0]["timeline"]]
    assert timeline == ["planned", "handed_to_carrier", "in_transit", "delivered"]
    assert "Kowalski" not in json.dumps(body)
    state = wait_for_status(ordo, order_id, "delivered", deadline_s=30)
    assert state["status"] == "delivered"

    def refused_shipment() -> list[str]:
        letters = read_raw(ordo.stack.kafka_bootstrap, DEAD_LETTER.name)
        reasons = [dict(headers).get("dlq_reason", b"").decode() for _, headers in letters]
        return [r for r in reasons if "no-such-shipment-S1" in r]

    assert eventually(refused_shipment, 30, "the unknown shipment dead-lettered")

    with ordo.http("fulfillment") as api:
        too_many = api.post(
            f"/orders/{order_id}/returns",
            json={
                "lines": [{"sku": "SHIP-1", "quantity": 3}],
                "reason": "too big",
                "by": "customer",
            },
        )
        assert too_many.status_code == 409, too_many.text
        assert "SHIP-1: 3 asked back, but 2 shipped" in too_many.json()["detail"]
        asked = api.post(
            f"/orders/{order_id}/returns",
            json={
                "lines": [{"sku": "SHIP-1", "quantity": 1}],
                "reason": "too big",
                "by": "customer",
            },
        )
        assert asked.status_code == 201, asked.text
        return_id = asked.json()["return_id"]
        approved = api.post(f"/returns/{return_id}/approve", json={"by": "it-operator"})
        assert approved.status_code == 202, approved.text
        received = api.post(f"/returns/{return_id}/received", json={"by": "it-warehouse"})
        assert received.status_code == 202, received.text
        assert received.json()["refund"] == {"amount": "30.00", "currency": "PLN"}

    def return_on_timeline() -> bool:
        with ordo.http("ticketing") as api:
            timeline = api.get(f"/orders/{order_id}").json().get("timeline", [])
        return any(entry.get("type") == "ReturnReceived" for entry in timeline)

    assert eventually(return_on_timeline, 30, "ReturnReceived in the order's history")

    # A complaint opens a ticket for an operator, who is named as having filed it.
    with ordo.http("fulfillment") as api:
        filed = api.post(
            f"/orders/{order_id}/complaints",
            json={"message": "the second mug arrived chipped", "by": "customer"},
        )
        assert filed.status_code == 201, filed.text
    ticket = open_ticket(ordo, order_id, "complaint")
    assert "the second mug arrived chipped" in ticket["instructions"]

    # Reserved stock recomputed from the reservations agrees with what inventory recorded.
    report = reconcile(ordo.urls["inventory"], token=ordo.tokens["manager"])
    assert report["drift"] == [], report


def test_a_pickup_is_collected_by_the_third_person_the_order_named(ordo: Ordo) -> None:
    set_stock(ordo, "PICK-1", 5)
    order = sample_order(
        external_id="pick-1",
        delivery={"method": "store_pickup", "pickup_point": "WAW-07", "collector": "Anna Nowak"},
        invoice=COMPANY_INVOICE,
        lines=[{"sku": "PICK-1", "quantity": 1, "unit_price": "30.00"}],
    )
    order_id = submit(ordo, order)
    wait_for_status(ordo, order_id, "ready_for_fulfillment")
    shipment_id = f"{order_id}-S1"
    path = f"/shipments/{shipment_id}/collected"
    collected = {
        "collected_by": "Anna Nowak",
        "document": {"type": "id_card", "last_digits": "4821"},
        "relation": "authorised third party",
    }

    def tracked(status: str) -> dict[str, Any] | None:
        response = track(ordo, "pick-1", "00-950")
        body: dict[str, Any] = response.json() if response.status_code == 200 else {}
        return body if body.get("status") == status else None

    eventually(lambda: tracked("preparing"), 30, "the pickup planned")
    with ordo.http("fulfillment", "operator") as api:
        early = api.post(path, json=collected)
        assert early.status_code == 409, early.text
        assert "not ready for collection yet" in early.json()["detail"]

    carrier_update(
        ordo,
        shipment_id,
        shipment_id=shipment_id,
        status="in_transit",
        carrier="dpd",
        time="2030-01-01T08:00:00Z",
    )
    eventually(lambda: tracked("shipped"), 30, "the pickup on its way")

    with ordo.http("fulfillment", "viewer") as api:
        assert api.post(path, json=collected).status_code == 403
    with ordo.http("fulfillment", "operator-de") as api:
        assert api.post(path, json=collected).status_code == 404  # not their market
    with ordo.http("fulfillment", "operator") as api:
        stranger = api.post(path, json={**collected, "collected_by": "Jan Obcy"})
        assert stranger.status_code == 409, stranger.text
        assert "names another person as its collector" in stranger.json()["detail"]
        done = api.post(path, json=collected)
        assert done.status_code == 201, done.text
        assert done.json()["collection"]["recorded_by"] == "it-operator-pl"
        assert api.post(path, json=collected).status_code == 409  # collected already

    body = eventually(lambda: tracked("delivered"), 30, "delivered on /track")
    assert "Nowak" not in json.dumps(body)
    assert "4821" not in json.dumps(body)
    state = wait_for_status(ordo, order_id, "delivered", deadline_s=30)
    summaries = [entry["summary"] for entry in state["timeline"]]
    assert any(
        "collected by authorised third party" in s and "it-operator-pl" in s for s in summaries
    ), summaries


def stock_where(ordo: Ordo, sku: str, figure: str, value: int) -> dict[str, Any] | None:
    found = stock_of(ordo, sku)
    return found if found[figure] == value else None


def test_shipped_units_leave_the_hold_and_a_later_count_shows_no_false_shortage(
    ordo: Ordo,
) -> None:
    set_stock(ordo, "HOLD-1", 10)
    shipped = sample_order(
        external_id="hold-1", lines=[{"sku": "HOLD-1", "quantity": 3, "unit_price": "5.00"}]
    )
    waiting = sample_order(
        external_id="hold-2", lines=[{"sku": "HOLD-1", "quantity": 2, "unit_price": "5.00"}]
    )
    for order in (shipped, waiting):
        submit(ordo, order)
        wait_for_status(ordo, order.order_id, "ready_for_fulfillment")
    assert stock_of(ordo, "HOLD-1")["reserved"] == 5

    shipment_id = f"{shipped.order_id}-S1"
    carrier_update(
        ordo,
        shipment_id,
        shipment_id=shipment_id,
        status="handed_to_carrier",
        carrier="dpd",
        time="2030-01-01T08:00:00Z",
    )
    level = eventually(
        lambda: stock_where(ordo, "HOLD-1", "reserved", 2),
        30,
        "the shipped units off the hold",
    )
    assert (level["on_hand"], level["available"]) == (7, 5)

    # The warehouse counts its shelf after the parcel left: the 2 units the other order
    # holds are still there, plus one found. Nothing is short; the hold is kept.
    send(
        ordo.stack.kafka_bootstrap,
        STOCK_SYNC.name,
        [(b"HOLD-1", json.dumps({"sku": "HOLD-1", "on_hand": 8}).encode(), [])],
    )
    counted = eventually(
        lambda: stock_where(ordo, "HOLD-1", "on_hand", 8),
        30,
        "the count applied",
    )
    assert (counted["reserved"], counted["available"]) == (2, 6)
    assert counted["warehouses"]["main"]["shortfall"] == 0
    with ordo.http("inventory") as api:
        report = api.get("/reconciliation").json()
    assert [d for d in report["drift"] if d["sku"] == "HOLD-1"] == []


def test_a_cash_on_delivery_parcel_returned_to_sender_is_restocked_ticketed_and_told(
    ordo: Ordo,
) -> None:
    set_stock(ordo, "RTS-1", 10)
    email = "rts.customer@example.com"
    order = sample_order(
        external_id="rts-1",
        customer={"name": "Ewa Zwrot", "email": email, "phone": "+48 601 234 567"},
        lines=[{"sku": "RTS-1", "quantity": 2, "unit_price": "30.00"}],
    )  # cash on delivery
    order_id = submit(ordo, order)
    wait_for_status(ordo, order_id, "ready_for_fulfillment", payment="cash_on_delivery")
    shipment_id = f"{order_id}-S1"
    carrier_update(
        ordo,
        shipment_id,
        shipment_id=shipment_id,
        status="handed_to_carrier",
        carrier="dpd",
        tracking_number="IT-RTS-1",
        time="2030-01-01T08:00:00Z",
    )
    eventually(lambda: stock_where(ordo, "RTS-1", "on_hand", 8), 30, "the parcel off the shelf")

    carrier_update(
        ordo,
        shipment_id,
        tracking_number="IT-RTS-1",
        status="returned_to_sender",
        note="refused by the recipient",
        time="2030-01-04T08:00:00Z",
    )

    # The goods are back on the shelf, and nothing is held for them.
    level = eventually(lambda: stock_where(ordo, "RTS-1", "on_hand", 10), 30, "the parcel back")
    assert (level["reserved"], level["available"]) == (0, 10)
    # Nothing was collected, and the order says how much will not be.
    # Inventory's StockRestocked reaches the read model on its own topic, maybe a batch
    # after the status and the amount.
    state = wait_for_status(
        ordo, order_id, "returned_to_sender", events={"StockRestocked"}, not_collected="60.00"
    )
    types = [entry["type"] for entry in state["timeline"]]
    assert "PaymentCaptured" not in types
    assert types.count("StockRestocked") == 1
    summaries = [entry["summary"] for entry in state["timeline"]]
    assert "returned to sender (refused by the recipient)" in " ".join(summaries)
    # An operator is asked to deal with it, with the parcel and the amount named.
    ticket = open_ticket(ordo, order_id, "returned_to_sender")
    assert f"shipment {shipment_id} (tracking number IT-RTS-1)" in ticket["instructions"]
    assert "60.00 PLN of the order is not paid" in ticket["instructions"]
    with ordo.http("ticketing") as api:
        resolved = api.post(
            f"/tickets/{ticket['ticket_id']}/resolve",
            json={"resolved_by": "ignored", "resolution": "customer wants it sent again"},
        )
        assert resolved.status_code == 202, resolved.text
    # The customer is told their parcel came back.
    mails = eventually(
        lambda: [
            m
            for m in ordo.stack.mailbox.messages()
            if email in m.recipients
            and m.message["X-Ordo-Status"] == f"returned_to_sender/{shipment_id}"
        ],
        30,
        "the customer told of the return",
    )
    assert "wróciła do nas" in str(mails[0].message["Subject"])
