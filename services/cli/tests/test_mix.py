"""The simulator's order mix: valid orders, the intended shares, repeatable with a seed."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import phonenumbers
import pytest

from ordo_cli.catalogue import MARKETS, SOLD_OUT, stock_levels
from ordo_cli.mix import DEFAULT_SHARES, NO_FAILURES, Scenario, Shares, SimOrder, plan_orders
from ordo_events.order import CanonicalOrder, DeliveryMethod, PaymentMethod

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def plan(
    n: int = 1000, seed: int = 7, run: str = "r1", shares: Shares = DEFAULT_SHARES
) -> list[SimOrder]:
    return plan_orders(n, seed=seed, run=run, now=NOW, shares=shares)


def test_every_order_is_a_valid_canonical_order_that_survives_the_wire() -> None:
    for sim in plan(300):
        wire = sim.order.model_dump_json()
        assert CanonicalOrder.model_validate_json(wire) == sim.order
        assert sim.order_id == sim.order.order_id


def test_shares_are_exact() -> None:
    counts = Counter(sim.scenario for sim in plan(1000))
    assert counts == {
        Scenario.COMPLETE: 800,
        Scenario.NO_PHONE: 80,
        Scenario.OUT_OF_STOCK: 70,
        Scenario.PAYMENT_DECLINED: 50,
    }
    assert {sim.scenario for sim in plan(200, shares=NO_FAILURES)} == {Scenario.COMPLETE}


def test_shares_that_exceed_all_orders_are_refused() -> None:
    with pytest.raises(ValueError, match="more than all orders"):
        Shares(0.5, 0.5, 0.5).counts(10)


def test_same_seed_same_orders_and_another_run_new_ids() -> None:
    first, again = plan(seed=3), plan(seed=3)
    assert [s.order for s in first] == [s.order for s in again]
    assert [s.notification for s in first] == [s.notification for s in again]
    assert [s.order for s in plan(seed=4)] != [s.order for s in first]
    rerun_ids = {s.order_id for s in plan(seed=3, run="r2")}
    assert rerun_ids.isdisjoint(s.order_id for s in first)
    assert len({s.order_id for s in first}) == len(first)


def test_each_failing_order_fails_in_its_one_way_only() -> None:
    for sim in plan(1000):
        order, skus = sim.order, {line.sku for line in sim.order.lines}
        assert (order.customer.phone is None) == (sim.scenario is Scenario.NO_PHONE)
        assert (SOLD_OUT[0] in skus) == (sim.scenario is Scenario.OUT_OF_STOCK)
        declined = sim.notification is not None and sim.notification.status == "declined"
        assert declined == (sim.scenario is Scenario.PAYMENT_DECLINED)


def test_phones_are_valid_numbers_of_the_orders_market() -> None:
    for sim in plan(1000):
        phone = sim.order.customer.phone
        if phone is not None:
            assert phone.startswith("+")
            number = phonenumbers.parse(phone, sim.order.market)
            assert phonenumbers.is_valid_number(number), phone
            assert phonenumbers.region_code_for_number(number) == sim.order.market


def test_market_currency_language_and_delivery_fit_together() -> None:
    methods: Counter[DeliveryMethod] = Counter()
    markets: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    for sim in plan(1000):
        order, market = sim.order, MARKETS[sim.order.market]
        assert (order.currency, order.language) == (market.currency, market.language)
        delivery = order.delivery
        assert (delivery.address is not None) == (delivery.method is DeliveryMethod.COURIER)
        if delivery.method is not DeliveryMethod.COURIER:
            assert delivery.pickup_point
        if delivery.address is not None:
            assert delivery.address.country == order.market
        methods[delivery.method] += 1
        markets[order.market] += 1
        channels[order.channel] += 1
    assert set(methods) == {
        DeliveryMethod.COURIER,
        DeliveryMethod.PARCEL_LOCKER,
        DeliveryMethod.STORE_PICKUP,
    }
    assert set(markets) == {"PL", "DE", "GB"}
    assert set(channels) == {"webshop", "allegro", "instagram", "store"}


def test_prepaid_orders_carry_the_providers_notification_and_cod_none() -> None:
    for sim in plan(500):
        prepaid = sim.order.payment.method is PaymentMethod.PREPAID
        assert (sim.notification is not None) == prepaid
        if sim.notification is not None:
            assert sim.notification.order_id == sim.order_id
            assert sim.notification.amount == sim.order.total
            assert sim.notification.currency == sim.order.currency


def test_stock_levels_seed_the_sold_out_sku_empty() -> None:
    levels = stock_levels(500)
    assert levels[SOLD_OUT[0]] == 0
    ordered = {line.sku for sim in plan(500) for line in sim.order.lines}
    assert ordered <= set(levels)
    assert all(levels[sku] == 500 for sku in ordered - {SOLD_OUT[0]})
