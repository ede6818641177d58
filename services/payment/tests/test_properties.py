"""Properties of payment's decisions, over generated histories: whatever order notifications
arrive in, and however often, the outcome and the money are the same, exact, and never more
refunded than captured."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ordo_events import events as ev
from ordo_events.order import SettlementMode
from ordo_payment.app import service
from ordo_payment.policy import ZERO, Decided, Facts, Note, Order, decide
from ordo_runtime.testing import Scenario, sample_order

MODES = list(SettlementMode)
DEADLINE = datetime(2026, 1, 2, tzinfo=UTC)
amounts = st.decimals(min_value=0, max_value=30, places=2, allow_nan=False, allow_infinity=False)
notes = st.builds(
    Note,
    # Not "voided": a provider's void racing the capture Ordo already made is decided by
    # which came first, by nature (tested as a flow instead).
    status=st.sampled_from(["authorized", "declined", "captured", "refunded"]),
    amount=amounts,
    currency=st.sampled_from(["PLN", "PLN", "PLN", "EUR"]),
    ref=st.sampled_from(["a", "b", "c"]),
)
# Things that happen to an order besides notifications, as (kind, value).
others = st.sampled_from(
    [("shipped", None), ("delivered", None), ("cancelled", None), ("overdue", None)]
) | st.tuples(st.just("return"), st.sampled_from(["r1", "r2"]))


@st.composite
def histories(draw: st.DrawFn) -> tuple[Order, list[tuple[str, object]]]:
    order = Order(draw(st.sampled_from(MODES)), draw(amounts.filter(bool)), "PLN")
    noted = draw(st.dictionaries(st.sampled_from([f"n{i}" for i in range(6)]), notes, max_size=5))
    steps: list[tuple[str, object]] = [("note", item) for item in noted.items()]
    steps.append(("order", order))
    # What happens to the order afterwards; its timing against payment matters (a cancel
    # before a full payment voids it, after one refunds it), so only the prefix is shuffled.
    steps += draw(st.lists(others, max_size=3, unique=True))
    return order, steps


def run(steps: list[tuple[str, object]]) -> tuple[Decided, list[ev.Event]]:
    """Feed the steps as the handlers do: record the fact, then announce."""
    facts, done, out = Facts("o1"), Decided(), []
    for kind, value in steps:
        match kind:
            case "order":
                assert isinstance(value, Order)
                facts = replace(facts, order=value)
            case "note":
                assert isinstance(value, tuple)
                nid, note = value
                assert isinstance(nid, str)
                assert isinstance(note, Note)
                facts = replace(facts, notes={**facts.notes, nid: note})
            case "shipped" | "delivered":
                facts = replace(
                    facts, shipped=True, delivered=facts.delivered or kind == "delivered"
                )
            case "cancelled":
                facts = replace(facts, cancelled="changed mind")
            case "overdue":
                facts = replace(facts, deadline_passed=DEADLINE)
            case "return":
                facts = replace(facts, returns={**facts.returns, str(value): Decimal("3.00")})
        events, done = decide(facts, done)
        out += events
    return done, out


def total(events: list[ev.Event], kind: type[ev.PaymentCaptured | ev.PaymentRefunded]) -> Decimal:
    return sum((e.amount for e in events if isinstance(e, kind)), ZERO)


@settings(max_examples=400, deadline=None)
@given(histories(), st.randoms(use_true_random=False), st.lists(st.integers(0, 20), max_size=4))
def test_any_order_and_any_duplicates_give_the_same_money(
    history: tuple[Order, list[tuple[str, object]]], rng: object, repeats: list[int]
) -> None:
    _, steps = history
    reference, reference_events = run(steps)
    cut = next(i for i, (kind, _) in enumerate(steps) if kind == "order") + 1
    shuffled = steps[:cut]
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    for index in repeats:  # a notification delivered again is the same fact again
        shuffled.insert(index % (len(shuffled) + 1), shuffled[index % len(shuffled)])
    final, events = run(shuffled + steps[cut:])
    # Reaching the outcome may differ (a decline read first fails, then recovers) but where
    # it ends, and every amount, are the same.
    settled = ("authorized", "cash_on_delivery")
    assert (final.outcome in settled) == (reference.outcome in settled)
    assert final.voided == reference.voided
    assert final.overdue == reference.overdue
    assert not (final.overdue and final.outcome == "authorized")  # paid in time: never late
    assert final.captured == reference.captured
    assert final.refunded == reference.refunded
    for announced, decided in ((events, final), (reference_events, reference)):
        assert total(announced, ev.PaymentCaptured) == decided.captured
        assert total(announced, ev.PaymentRefunded) == decided.refunded
        assert decided.refunded <= decided.captured
        assert sum(isinstance(e, ev.PaymentAuthorized) for e in announced) <= 1
        assert all(getattr(e, "amount", ZERO) >= ZERO for e in announced)


@settings(max_examples=300, deadline=None)
@given(histories())
def test_a_covered_order_is_captured_exactly_what_the_rules_say(
    history: tuple[Order, list[tuple[str, object]]],
) -> None:
    order, steps = history
    final, _ = run(steps)
    kinds = {kind for kind, _ in steps}
    if "cancelled" in kinds:
        assert final.refunded == final.captured  # everything taken is given back
    elif final.outcome == "authorized" and (
        order.mode is not SettlementMode.HELD or kinds & {"shipped", "delivered"}
    ):
        assert final.captured >= order.total
    elif order.mode is SettlementMode.CASH_ON_DELIVERY:
        assert final.captured == (order.total if "delivered" in kinds else ZERO)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.permutations(["order", "n1", "n2", "n3"]), st.sampled_from(["full", "held", "split"]))
def test_through_the_handlers_notifications_in_any_order_settle_alike(
    arrival: list[str], mode: str
) -> None:
    """The same property through the real processor and store, notifications sent twice."""
    o = sample_order(payment={"method": "prepaid", "settlement": mode})
    parts = {
        "n1": ("authorized", "6.00", "p1"),
        "n2": ("captured", "6.00", "p1"),  # the capture of n1's payment
        "n3": ("authorized", "4.00", "p2"),
    }
    scenario, announced = Scenario(service), []
    for step in [*arrival, *arrival]:
        if step == "order":
            announced += scenario.when(ev.OrderReceived(order_id=o.order_id, order=o))
            continue
        status, amount, ref = parts[step]
        announced += scenario.when(
            ev.PaymentNotificationReceived(
                order_id=o.order_id,
                notification_id=step,
                status=status,
                amount=Decimal(amount),
                currency="PLN",
                provider_ref=ref,
            )
        )
    authorized = [e for e in announced if isinstance(e, ev.PaymentAuthorized)]
    assert [a.amount for a in authorized] == [Decimal("10.00")]
    # A held payment waits for the shipment; the provider's own capture of 6.00 is real.
    expected = Decimal("6.00") if mode == "held" else Decimal("10.00")
    assert total(announced, ev.PaymentCaptured) == expected
