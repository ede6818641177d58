"""Inventory on the real stack: a thousand orders race for a hundred units across two
inventory processes; the stock-sync feed; cancellation; reconciliation."""

from __future__ import annotations

import json
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.order import CanonicalOrder
from ordo_events.topics import (
    CHANNEL_ORDERS,
    DEAD_LETTER,
    FULFILLMENT,
    INVENTORY,
    STOCK_SYNC,
    VALIDATION,
)
from ordo_runtime.testing import sample_order
from tests.integration.conftest import EXPIRY_CHANNEL, Ordo, eventually, free_port
from tests.integration.kafka_tools import read_events, read_raw, send

pytestmark = pytest.mark.integration
ORDERS, UNITS = 1000, 100


@pytest.fixture
def second_inventory(ordo: Ordo) -> Iterator[str]:
    """A second inventory process in the same consumer group and database."""
    base = ordo.specs["inventory"]
    port = free_port()
    spec = replace(base, name="inventory-2", port=port, env={**base.env, "HTTP_PORT": str(port)})
    ordo.supervisor.start(spec)
    ordo.supervisor.wait_ready(deadline_s=60)
    try:
        yield spec.url
    finally:
        child = ordo.supervisor.children.pop("inventory-2")
        child.process.send_signal(signal.SIGTERM)
        assert child.process.wait(30) == 0


def stock_of(ordo: Ordo, sku: str) -> dict[str, Any]:
    with ordo.http("inventory") as api:
        response = api.get(f"/stock/{sku}", params={"by_warehouse": True})
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def outcomes(ordo: Ordo, ids: set[str]) -> list[Envelope]:
    events = read_events(ordo.stack.kafka_bootstrap, INVENTORY.name)
    unique = {e.id: e for e in events if e.subject in ids}  # a relay may publish twice
    return list(unique.values())


def test_a_thousand_orders_for_a_hundred_units_reserve_exactly_a_hundred(
    ordo: Ordo, second_inventory: str
) -> None:
    with ordo.http("inventory") as api:
        api.put("/stock/RACE-1", json={"on_hand": UNITS}).raise_for_status()
    orders = [
        sample_order(
            external_id=f"race-{i}",
            customer={"name": "Ewa", "email": f"race{i}@example.com", "phone": "+48 601 234 567"},
            lines=[{"sku": "RACE-1", "quantity": 1, "unit_price": "5.00"}],
        )
        for i in range(ORDERS)
    ]
    ids = {o.order_id for o in orders}
    token = {"Authorization": f"Bearer {ordo.tokens['manager']}"}

    def both_hold_partitions() -> bool:
        # Ready is not enough: the group must have rebalanced onto both members, or one of
        # them would take the whole burst and there would be no race.
        for url in (ordo.urls["inventory"], second_inventory):
            held = httpx.get(f"{url}/metrics", headers=token).json()["assigned"]["ordo-inventory"]
            if not any(tp.startswith(f"{VALIDATION.name}:") for tp in held):
                return False
        return True

    eventually(both_hold_partitions, 60, "both inventory processes to hold partitions")
    # Validated orders straight onto validation's topic: the race is inventory's alone, and
    # the rest of the stack is spared a thousand customers' emails.
    validated = [
        Envelope(data=ev.OrderValidated(order_id=o.order_id, order=o), source="/test")
        for o in orders
    ]
    records = [(e.key(), e.value(), e.headers()) for e in validated]
    send(ordo.stack.kafka_bootstrap, VALIDATION.name, records)

    def all_decided() -> list[Envelope] | None:
        found = outcomes(ordo, ids)
        return found if {e.subject for e in found} >= ids else None

    decided = eventually(all_decided, 180, "an inventory outcome for every order")
    per_order = Counter(e.subject for e in decided)
    assert set(per_order.values()) == {1}, "an order got two outcomes"
    kinds = Counter(e.type for e in decided)
    assert kinds == {"StockReserved": UNITS, "StockShortage": ORDERS - UNITS}
    level = stock_of(ordo, "RACE-1")
    assert (level["on_hand"], level["reserved"], level["available"]) == (UNITS, UNITS, 0)
    with ordo.http("inventory") as api:
        assert api.get("/reconciliation").json()["drift"] == []
    # Both processes took part: the group split the partitions between them.
    for url in (ordo.urls["inventory"], second_inventory):
        metrics = httpx.get(f"{url}/metrics", headers=token).json()
        assert metrics["consumed"]["ordo-inventory"] > 0


def test_the_sync_feed_counts_and_adjusts_and_dead_letters_what_it_cannot_apply(
    ordo: Ordo,
) -> None:
    messages = [
        {"sku": "SYNC-1", "warehouse": "main", "on_hand": 10},
        {"sku": "SYNC-1", "warehouse": "north", "on_hand": 4},
        {"sku": "SYNC-1", "warehouse": "north", "adjust": -1},
        {"sku": "SYNC-1", "warehouse": "north", "adjust": -50},  # below zero: refused
        {"warehouse": "north", "on_hand": 1},  # no SKU: refused
    ]
    send(
        ordo.stack.kafka_bootstrap,
        STOCK_SYNC.name,
        [(b"SYNC-1", json.dumps(m).encode(), []) for m in messages],
    )

    def synced() -> dict[str, Any] | None:
        with ordo.http("inventory") as api:
            response = api.get("/stock/SYNC-1", params={"by_warehouse": True})
        if response.status_code != 200:
            return None
        found: dict[str, Any] = response.json()
        return found if found["warehouses"].get("north", {}).get("on_hand") == 3 else None

    level = eventually(synced, 60, "the feed's counts to land")
    assert (level["on_hand"], level["available"]) == (13, 13)

    def dead_letters() -> list[str] | None:
        reasons = [
            h["dlq_reason"].decode()
            for _, headers in read_raw(ordo.stack.kafka_bootstrap, DEAD_LETTER.name)
            if (h := dict(headers)).get("dlq_origin", b"").startswith(STOCK_SYNC.name.encode())
        ]
        return reasons if len(reasons) >= 2 else None

    reasons = " | ".join(eventually(dead_letters, 60, "two dead letters from the feed"))
    assert "never goes below zero" in reasons
    assert "sku: Field required" in reasons


def test_a_cancelled_order_gives_its_stock_back(ordo: Ordo) -> None:
    with ordo.http("inventory") as api:
        api.put("/stock/CANCEL-1/north", json={"on_hand": 3}).raise_for_status()
    order = sample_order(
        external_id="cancel-1", lines=[{"sku": "CANCEL-1", "quantity": 2, "unit_price": "5.00"}]
    )
    send(
        ordo.stack.kafka_bootstrap,
        CHANNEL_ORDERS.name,
        [(order.order_id.encode(), order.model_dump_json().encode(), [])],
    )
    reserved = eventually(
        lambda: [e for e in outcomes(ordo, {order.order_id}) if e.type == "StockReserved"],
        60,
        "the reservation",
    )
    assert reserved[0].data == ev.StockReserved(
        order_id=order.order_id,
        lines=[ev.ReservedLine(sku="CANCEL-1", quantity=2, warehouse="north")],
    )
    cancel = Envelope(
        data=ev.OrderCancelled(order_id=order.order_id, reason="test", cancelled_by="ola"),
        source="/test",
    )
    send(
        ordo.stack.kafka_bootstrap,
        FULFILLMENT.name,  # the release gate decides cancellations
        [(cancel.key(), cancel.value(), cancel.headers())],
    )
    eventually(
        lambda: [e for e in outcomes(ordo, {order.order_id}) if e.type == "StockReleased"],
        60,
        "the release",
    )
    assert stock_of(ordo, "CANCEL-1")["available"] == 3


def submit(ordo: Ordo, order: CanonicalOrder) -> None:
    with ordo.http("ingestion") as api:
        assert api.post("/orders", content=order.model_dump_json()).status_code == 202


def test_an_unpaid_reservation_expires_and_a_late_payment_takes_the_stock_again(
    ordo: Ordo,
) -> None:
    # Its order comes through the channel whose holds expire after 2 s (conftest's
    # SERVICE_ENV): only its own hold goes, whatever other tests hold unpaid meanwhile,
    # and no service restarts.
    with ordo.http("inventory") as api:
        api.put("/stock/EXPIRE-1", json={"on_hand": 3}).raise_for_status()
        api.put("/stock/EXPIRE-2", json={"on_hand": 3}).raise_for_status()
    usual = sample_order(
        external_id="expire-usual",
        payment={"method": "prepaid"},
        lines=[{"sku": "EXPIRE-2", "quantity": 1, "unit_price": "9.00"}],
    )
    submit(ordo, usual)
    eventually(
        lambda: [e for e in outcomes(ordo, {usual.order_id}) if e.type == "StockReserved"],
        60,
        "another channel's unpaid reservation",
    )
    order = sample_order(
        channel=EXPIRY_CHANNEL,
        external_id="expire-1",
        payment={"method": "prepaid"},
        lines=[{"sku": "EXPIRE-1", "quantity": 2, "unit_price": "9.00"}],
    )
    submit(ordo, order)

    def released() -> list[Envelope]:
        return [
            e
            for e in outcomes(ordo, {order.order_id})
            if isinstance(e.data, ev.StockReleased) and e.data.reason == "expired"
        ]

    eventually(released, 60, "the unpaid reservation to expire")
    assert stock_of(ordo, "EXPIRE-1")["available"] == 3
    # Held longer than that, unpaid too, but of another channel: still held.
    assert [e.type for e in outcomes(ordo, {usual.order_id})] == ["StockReserved"]
    assert stock_of(ordo, "EXPIRE-2")["reserved"] == 1

    body = {
        "order_id": order.order_id,
        "notification_id": "expire-1-paid",
        "status": "authorized",
        "amount": "18.00",
        "currency": order.currency,
        "provider_ref": "psp-expire-1",
    }
    with ordo.http("payment") as api:
        assert api.post("/webhooks/payments", json=body).status_code == 202
    eventually(
        lambda: stock_of(ordo, "EXPIRE-1")["available"] == 1,
        60,
        "the late payment to take the stock again",
    )
