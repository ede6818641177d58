"""Given held reservations -> when the sweep runs past their deadline -> then the unpaid ones
are released once, and paid, cash-on-delivery or already released ones are left alone."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from ordo_events import events as ev
from ordo_events.events import Event
from ordo_inventory.expiry import ExpirySweep
from ordo_inventory.settings import InventorySettings
from ordo_runtime.testing import InMemoryRuntime, Scenario
from services.inventory.tests.support import line, order_of, stock, stocked, validated

TTL = 60.0


def sweep(scenario: Scenario, at: float, **settings: Any) -> tuple[ExpirySweep, list[Event]]:
    runtime = InMemoryRuntime(scenario)
    sweeper = ExpirySweep(runtime, InventorySettings(hold_ttl_s=TTL, **settings))
    asyncio.run(sweeper.sweep(now=at))
    return sweeper, runtime.published


def test_an_unpaid_reservation_is_released_after_its_time_and_not_before() -> None:
    scenario = stocked(A=5)
    order = order_of("1", ("A", 2), payment={"method": "prepaid"})
    scenario.when(validated(order))
    assert sweep(scenario, time.time() + TTL / 2)[1] == []
    _, released = sweep(scenario, time.time() + TTL + 1)
    assert released == [
        ev.StockReleased(order_id=order.order_id, lines=[line("A", 2)], reason="expired")
    ]
    assert stock(scenario, "A").available("main") == 5


def test_a_second_sweep_releases_nothing_more() -> None:
    scenario = stocked(A=5)
    scenario.when(validated(order_of("1", ("A", 2), payment={"method": "prepaid"})))
    later = time.time() + TTL + 1
    assert len(sweep(scenario, later)[1]) == 1
    assert sweep(scenario, later)[1] == []
    assert stock(scenario, "A").available("main") == 5


def test_holds_stored_while_it_follows_are_taken_without_reading_them_back() -> None:
    scenario = stocked(A=5)
    first = order_of("1", ("A", 1), payment={"method": "prepaid"})
    second = order_of("2", ("A", 1), payment={"method": "prepaid"})
    scenario.when(validated(first))
    sweeper = ExpirySweep(InMemoryRuntime(scenario), InventorySettings(hold_ttl_s=TTL))
    with sweeper.tail.following():
        asyncio.run(sweeper.sweep(now=time.time()))
        read = sweeper.tail.read_back
        assert read > 0  # stored before it followed: read from the log
        scenario.when(validated(second))
        assert asyncio.run(sweeper.sweep(now=time.time() + TTL + 1)) == 2
    assert sweeper.tail.read_back == read
    assert stock(scenario, "A").available("main") == 5


def test_paid_and_cash_on_delivery_orders_never_expire() -> None:
    scenario = stocked(A=5)
    paid = order_of("1", ("A", 1), payment={"method": "prepaid"})
    cod = order_of("2", ("A", 1))
    scenario.when(validated(paid))
    scenario.when(
        ev.PaymentAuthorized(
            order_id=paid.order_id, amount=Decimal("5"), currency="PLN", provider_ref="p"
        )
    )
    scenario.when(
        ev.CashOnDeliveryAccepted(order_id=cod.order_id, amount=Decimal("5"), currency="PLN")
    )
    scenario.when(validated(cod))
    sweeper, released = sweep(scenario, time.time() + 10 * TTL)
    assert released == []
    assert sweeper.pending == {}
    assert stock(scenario, "A").reserved == {"main": 2}


def test_a_payment_after_expiry_takes_the_stock_again() -> None:
    scenario = stocked(A=5)
    order = order_of("1", ("A", 2), payment={"method": "prepaid"})
    scenario.when(validated(order))
    sweep(scenario, time.time() + TTL + 1)
    paid = ev.PaymentAuthorized(
        order_id=order.order_id, amount=Decimal("10"), currency="PLN", provider_ref="p"
    )
    assert scenario.when(paid) == [ev.StockReserved(order_id=order.order_id, lines=[line("A", 2)])]
    assert sweep(scenario, time.time() + 10 * TTL)[1] == []  # settled now


def test_a_restarted_sweep_reads_on_from_the_oldest_pending_hold() -> None:
    scenario = stocked(A=5)
    first = order_of("1", ("A", 1), payment={"method": "prepaid"})
    scenario.when(validated(first))
    sweeper, _ = sweep(scenario, time.time())
    assert len(sweeper.pending) == 1
    scenario.when(ev.OrderCancelled(order_id=first.order_id, reason="r", cancelled_by="ola"))
    sweeper, _ = sweep(scenario, time.time())
    assert sweeper.pending == {}
    assert sweeper.saved == sweeper.position
    restarted, _ = sweep(scenario, time.time())
    assert restarted.saved == sweeper.saved


def test_a_channel_with_its_own_time_to_live_expires_only_its_own_holds() -> None:
    scenario = stocked(A=5)
    quick = order_of("1", ("A", 1), channel="flash", payment={"method": "prepaid"})
    usual = order_of("2", ("A", 1), payment={"method": "prepaid"})
    scenario.when(validated(quick))
    scenario.when(validated(usual))
    _, released = sweep(scenario, time.time() + 5, hold_ttls={"flash": 2})
    assert released == [
        ev.StockReleased(order_id=quick.order_id, lines=[line("A", 1)], reason="expired")
    ]
    # The other channel's hold keeps the usual time to live.
    assert sweep(scenario, time.time() + TTL / 2, hold_ttls={"flash": 2})[1] == []
    assert len(sweep(scenario, time.time() + TTL + 1, hold_ttls={"flash": 2})[1]) == 1


def test_a_time_to_live_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValidationError, match="greater than 0"):
        InventorySettings(hold_ttls={"flash": 0})
