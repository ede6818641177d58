"""The deadline sweep: given orders and payments, when the clock passes their deadlines,
then PaymentOverdue for those still unpaid, once, however many replicas sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_payment.app import service
from ordo_payment.deadlines import TRACKING_NAME, Sweep
from ordo_payment.domain import Settlement
from ordo_payment.handlers import overdue, overdue_cause
from ordo_payment.settings import DEADLINES, DeadlineSettings
from ordo_runtime.testing import InMemoryRuntime, Scenario, sample_order

PLACED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SETTINGS = DeadlineSettings(payment_deadline_s=3600, payment_deadlines={"allegro": 600})


@pytest.fixture(autouse=True)
def deadlines(monkeypatch: pytest.MonkeyPatch) -> None:
    """The handlers set each order's deadline from these settings when it arrives."""
    monkeypatch.setattr(DEADLINES, "payment_deadline_s", SETTINGS.payment_deadline_s)
    monkeypatch.setattr(DEADLINES, "payment_deadlines", SETTINGS.payment_deadlines)


def prepaid(external_id: str, channel: str = "webshop", **payment: str) -> CanonicalOrder:
    return sample_order(
        channel=channel,
        external_id=external_id,
        placed_at=PLACED,
        payment={"method": "prepaid", **payment},
    )


def received(order: CanonicalOrder) -> ev.OrderReceived:
    return ev.OrderReceived(order_id=order.order_id, order=order)


def authorized(order: CanonicalOrder) -> ev.PaymentNotificationReceived:
    return ev.PaymentNotificationReceived(
        order_id=order.order_id,
        notification_id=f"n-{order.external_id}",
        status="authorized",
        amount=Decimal("10.00"),
        currency="PLN",
        provider_ref="psp-1",
    )


async def test_an_unpaid_order_is_overdue_at_its_channels_deadline_and_only_then() -> None:
    late, paid, cod = prepaid("late"), prepaid("paid"), sample_order(external_id="cod")
    scenario = Scenario(service).given(
        received(late), received(paid), authorized(paid), received(cod)
    )
    sweep = Sweep(InMemoryRuntime(scenario), SETTINGS)
    assert await sweep.tick(PLACED + timedelta(minutes=59)) == []
    assert await sweep.tick(PLACED + timedelta(minutes=61)) == [
        ev.PaymentOverdue(order_id=late.order_id, deadline=PLACED + timedelta(hours=1))
    ]
    assert await sweep.tick(PLACED + timedelta(days=9)) == []
    # A payment after the deadline still settles the order.
    assert isinstance(scenario.when(authorized(late))[0], ev.PaymentAuthorized)


async def test_deadlines_stored_while_it_follows_are_taken_without_reading_them_back() -> None:
    before, after = prepaid("before"), prepaid("after", channel="allegro")
    scenario = Scenario(service).given(received(before))
    sweep = Sweep(InMemoryRuntime(scenario), SETTINGS)
    with sweep.tail.following():
        assert await sweep.tick(PLACED) == []
        read = sweep.tail.read_back
        assert read > 0  # stored before it followed: read from the log
        scenario.when(received(after))
        assert await sweep.tick(PLACED + timedelta(minutes=11)) == [
            ev.PaymentOverdue(order_id=after.order_id, deadline=PLACED + timedelta(minutes=10))
        ]
        assert await sweep.tick(PLACED + timedelta(minutes=61)) == [
            ev.PaymentOverdue(order_id=before.order_id, deadline=PLACED + timedelta(hours=1))
        ]
    assert sweep.tail.read_back == read


async def test_a_channel_override_shortens_the_deadline() -> None:
    order = prepaid("a-1", channel="allegro")
    sweep = Sweep(InMemoryRuntime(Scenario(service).given(received(order))), SETTINGS)
    (overdue,) = await sweep.tick(PLACED + timedelta(minutes=11))
    assert overdue == ev.PaymentOverdue(
        order_id=order.order_id, deadline=PLACED + timedelta(minutes=10)
    )


async def test_a_cancelled_order_is_never_overdue() -> None:
    order = prepaid("gone")
    cancel = ev.OrderCancelled(order_id=order.order_id, reason="dup", cancelled_by="ola")
    scenario = Scenario(service).given(received(order), cancel)
    assert await Sweep(InMemoryRuntime(scenario), SETTINGS).tick(PLACED + timedelta(days=3)) == []


async def test_two_sweeps_store_one_overdue_under_the_same_cause_id() -> None:
    order = prepaid("twice")
    scenario = Scenario(service).given(received(order))
    first, second = InMemoryRuntime(scenario), InMemoryRuntime(scenario)
    later = PLACED + timedelta(hours=2)
    assert len(await Sweep(first, SETTINGS).tick(later)) == 1
    assert await Sweep(second, SETTINGS).tick(later) == []  # it sees the order overdue already
    settlement_id = Settlement.create_id(order.order_id)
    assert overdue_cause(settlement_id) in first.cause_ids
    # A sibling that checked before the first one wrote runs the command on fresh state.
    assert scenario.execute(overdue(settlement_id)) == []


async def test_a_restarted_sweep_resumes_below_the_deadlines_still_ahead() -> None:
    late, early = prepaid("later", channel="allegro"), prepaid("early")
    scenario = Scenario(service).given(received(late), received(early))
    runtime = InMemoryRuntime(scenario)
    (first,) = await Sweep(runtime, SETTINGS).tick(PLACED + timedelta(minutes=11))
    assert first.order_id == late.order_id
    assert scenario.app.position(TRACKING_NAME)  # done up to the deadline still ahead
    restarted = Sweep(runtime, SETTINGS)
    assert await restarted.tick(PLACED + timedelta(minutes=30)) == []
    # It read from the stored position: the order already overdue is not read again.
    assert [entry[2] for entry in restarted.ahead] == [Settlement.create_id(early.order_id)]
    (second,) = await restarted.tick(PLACED + timedelta(hours=2))
    assert second.order_id == early.order_id


async def test_a_deadline_whose_write_failed_is_announced_on_the_next_tick() -> None:
    order = prepaid("retry")
    runtime = InMemoryRuntime(Scenario(service).given(received(order)))
    sweep = Sweep(runtime, SETTINGS)
    runtime.fail = True
    with pytest.raises(ConnectionError):
        await sweep.tick(PLACED + timedelta(hours=2))
    (overdue,) = await sweep.tick(PLACED + timedelta(hours=2))
    assert overdue.order_id == order.order_id
