"""The simulator's order mix: what a day of orders from several channels looks like, with a
known share of orders that must end in a ticket. Pure and seeded, so runs are repeatable."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ordo_cli.catalogue import MARKETS, PRODUCTS, SOLD_OUT, STORES, Market
from ordo_events.events import PaymentNotificationReceived
from ordo_events.order import (
    Address,
    CanonicalOrder,
    Customer,
    Delivery,
    DeliveryMethod,
    OrderLine,
    Payment,
    PaymentMethod,
)


class Scenario(StrEnum):
    COMPLETE = "complete"
    NO_PHONE = "no_phone"
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"


@dataclass(frozen=True)
class Shares:
    """Fractions of orders meant to fail, each in one way only; the rest complete."""

    no_phone: float = 0.08
    out_of_stock: float = 0.07
    payment_declined: float = 0.05

    def counts(self, n: int) -> dict[Scenario, int]:
        failing = {
            Scenario.NO_PHONE: round(n * self.no_phone),
            Scenario.OUT_OF_STOCK: round(n * self.out_of_stock),
            Scenario.PAYMENT_DECLINED: round(n * self.payment_declined),
        }
        if sum(failing.values()) > n:
            raise ValueError("failure shares add up to more than all orders")
        return {Scenario.COMPLETE: n - sum(failing.values()), **failing}


DEFAULT_SHARES = Shares()
NO_FAILURES = Shares(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class SimOrder:
    order: CanonicalOrder
    scenario: Scenario
    # What the payment provider reports for a prepaid order; None for cash on delivery.
    notification: PaymentNotificationReceived | None

    @property
    def order_id(self) -> str:
        return self.order.order_id


# channel -> (markets it sells in, delivery methods it offers)
CHANNELS: dict[str, tuple[tuple[str, ...], tuple[DeliveryMethod, ...]]] = {
    "webshop": (
        ("PL", "DE", "GB"),
        (DeliveryMethod.COURIER, DeliveryMethod.PARCEL_LOCKER, DeliveryMethod.STORE_PICKUP),
    ),
    "allegro": (("PL",), (DeliveryMethod.COURIER, DeliveryMethod.PARCEL_LOCKER)),
    "instagram": (("PL", "DE", "GB"), (DeliveryMethod.COURIER, DeliveryMethod.PARCEL_LOCKER)),
    "store": (("PL", "DE", "GB"), (DeliveryMethod.STORE_PICKUP,)),
}
CHANNEL_WEIGHTS = (50, 25, 15, 10)


def plan_orders(
    n: int, *, seed: int, run: str, now: datetime, shares: Shares = DEFAULT_SHARES
) -> list[SimOrder]:
    """`n` orders in random order; `run` goes into external ids so reruns make new orders."""
    rng = random.Random(seed)
    scenarios = [s for s, count in shares.counts(n).items() for _ in range(count)]
    rng.shuffle(scenarios)
    return [_order(rng, i, scenario, run, now) for i, scenario in enumerate(scenarios)]


def _order(rng: random.Random, i: int, scenario: Scenario, run: str, now: datetime) -> SimOrder:
    channel = rng.choices(list(CHANNELS), CHANNEL_WEIGHTS)[0]
    markets, methods = CHANNELS[channel]
    market = MARKETS[rng.choice(markets)]
    method = rng.choice(methods)
    prepaid = scenario is Scenario.PAYMENT_DECLINED or rng.random() < 0.6
    first, last = rng.choice(market.first_names), rng.choice(market.last_names)
    city, postcode = rng.choice(market.cities)
    address = Address(
        name=f"{first} {last}",
        line1=rng.choice(market.streets),
        city=city,
        postcode=postcode,
        country=market.code,
    )
    order = CanonicalOrder(
        channel=channel,
        external_id=f"{channel[:3].upper()}-{run}-{i:06d}",
        placed_at=now - timedelta(seconds=rng.randint(0, 600)),
        market=market.code,
        currency=market.currency,
        language=market.language,
        customer=Customer(
            name=f"{first} {last}",
            email=f"{_ascii(first)}.{_ascii(last)}.{i}@{market.mail_domain}",
            phone=None if scenario is Scenario.NO_PHONE else _phone(rng, market),
        ),
        delivery=_delivery(rng, method, market, address),
        payment=Payment(
            method=PaymentMethod.PREPAID if prepaid else PaymentMethod.CASH_ON_DELIVERY
        ),
        lines=_lines(rng, market, sold_out=scenario is Scenario.OUT_OF_STOCK),
    )
    notification = _notification(rng, order, scenario) if prepaid else None
    return SimOrder(order, scenario, notification)


def _delivery(
    rng: random.Random, method: DeliveryMethod, market: Market, address: Address
) -> Delivery:
    if method is DeliveryMethod.COURIER:
        return Delivery(method=method, address=address)
    if method is DeliveryMethod.PARCEL_LOCKER:
        return Delivery(method=method, pickup_point=rng.choice(market.lockers))
    return Delivery(method=method, pickup_point=rng.choice(STORES))


def _lines(rng: random.Random, market: Market, *, sold_out: bool) -> list[OrderLine]:
    picked = rng.sample(PRODUCTS, k=rng.choice((1, 1, 1, 2, 2, 3)))
    if sold_out:
        picked[-1] = SOLD_OUT
    return [
        OrderLine(
            sku=sku,
            name=name,
            quantity=rng.choice((1, 1, 1, 2, 3)),
            unit_price=(price * market.per_pln).quantize(Decimal("0.01")),
        )
        for sku, name, price in picked
    ]


def _phone(rng: random.Random, market: Market) -> str:
    prefix = rng.choice(market.phone_prefixes)
    return prefix + "".join(rng.choice("0123456789") for _ in range(market.phone_digits))


def _notification(
    rng: random.Random, order: CanonicalOrder, scenario: Scenario
) -> PaymentNotificationReceived:
    declined = scenario is Scenario.PAYMENT_DECLINED
    ref = uuid.UUID(int=rng.getrandbits(128), version=4)
    return PaymentNotificationReceived(
        order_id=order.order_id,
        notification_id=f"ntf-{ref}",
        status="declined" if declined else "authorized",
        amount=order.total,
        currency=order.currency,
        provider_ref=f"psp-{ref.hex[:12]}",
        reason="card declined: insufficient funds" if declined else None,
    )


def _ascii(name: str) -> str:
    table = str.maketrans("ąćęłńóśźżäöüß", "acelnoszzaous")
    return name.lower().translate(table)
