"""Payment decisions, pure: from what is known of an order's payment (`Facts`) and what was
already announced (`Decided`), the events to announce now.

Facts only accumulate, and `decide` reads them as sets (per provider payment the largest
amount of each kind), never as a sequence: the order in which notifications arrive, or a
notification arriving twice, cannot change the final outcome. Announcements are deltas
against `Decided`, so money is announced once: captured only grows, refunds never exceed
what was captured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from ordo_events import events as ev
from ordo_events.order import SettlementMode
from ordo_payment.shipments import Line, shipped_share

ZERO = Decimal("0")
GOOD = ("authorized", "captured")


@dataclass(frozen=True)
class Note:
    """One provider notification as received."""

    status: str  # authorized | declined | captured | refunded | voided
    amount: Decimal
    currency: str
    ref: str
    reason: str = ""


@dataclass(frozen=True)
class Order:
    mode: SettlementMode
    total: Decimal
    currency: str
    lines: tuple[Line, ...] = ()  # empty in settlements stored before they were kept


@dataclass(frozen=True)
class Facts:
    order_id: str
    order: Order | None = None  # None until the order itself arrives
    notes: Mapping[str, Note] = field(default_factory=dict)  # by notification id
    # A shipment whose contents are unknown (published before shipments named their
    # lines) was handed to a carrier, or delivered: as good as the whole order.
    shipped: bool = False
    delivered: bool = False
    cancelled: str | None = None  # the reason, once cancelled
    returns: Mapping[str, Decimal] = field(default_factory=dict)  # amount by return id
    deadline_passed: datetime | None = None
    # A held order's shipments that left, each as quantity per SKU, by shipment id.
    shipments: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # A cash on delivery order's shipments delivered, the same way.
    deliveries: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Decided:
    outcome: str | None = None  # authorized | failed | cash_on_delivery
    captured: Decimal = ZERO
    refunded: Decimal = ZERO
    voided: bool = False
    overdue: bool = False


@dataclass(frozen=True)
class Money:
    """The provider's side of an order, summed over its payments (provider refs)."""

    cover: Decimal  # authorised or captured, in the order's currency, not voided
    captured: Decimal  # reported captured by the provider
    refunded: Decimal  # reported refunded by the provider
    refs: tuple[str, ...]  # the payments that cover
    wrong_currency: tuple[str, ...]  # notification ids in another currency
    declines: tuple[str, ...]  # notification ids of declines, for payments never good


def money(notes: Mapping[str, Note], currency: str) -> Money:
    held: dict[str, Decimal] = {}
    taken: dict[str, Decimal] = {}
    voided: set[str] = set()
    refunded: dict[str, Decimal] = {}
    wrong, declined = [], []
    for nid in sorted(notes):
        note = notes[nid]
        if note.currency != currency:
            wrong.append(nid)
        elif note.status in GOOD:
            held[note.ref] = max(held.get(note.ref, ZERO), note.amount)
            if note.status == "captured":
                taken[note.ref] = max(taken.get(note.ref, ZERO), note.amount)
        elif note.status == "voided":
            voided.add(note.ref)
        elif note.status == "refunded":
            refunded[nid] = note.amount
        elif note.status == "declined":
            declined.append(nid)
    # A void releases an authorisation only: money already captured stays captured.
    good = sorted(ref for ref in held if ref not in voided or ref in taken)
    return Money(
        cover=sum((held[ref] for ref in good), ZERO),
        captured=sum(taken.values(), ZERO),
        refunded=sum(refunded.values(), ZERO),
        refs=tuple(good),
        wrong_currency=tuple(wrong),
        declines=tuple(nid for nid in declined if notes[nid].ref not in held),
    )


def decide(facts: Facts, done: Decided, because: str = "") -> tuple[list[ev.Event], Decided]:
    """The events that announce what changed, and the new `Decided`. `because` names the
    cause of a refund the facts alone cannot name (a return, the cancellation)."""
    order = facts.order
    if order is None:
        return [], done
    oid, cur, total = facts.order_id, order.currency, order.total
    cod = order.mode is SettlementMode.CASH_ON_DELIVERY
    m = money({} if cod else facts.notes, cur)
    covered = not cod and m.cover >= total
    ref = ",".join(m.refs) or None
    out: list[ev.Event] = []
    now = done

    if facts.cancelled is None and cod and now.outcome != "cash_on_delivery":
        out.append(ev.CashOnDeliveryAccepted(order_id=oid, amount=total, currency=cur))
        now = replace(now, outcome="cash_on_delivery")
    elif facts.cancelled is None and covered and now.outcome != "authorized":
        out.append(
            ev.PaymentAuthorized(order_id=oid, amount=m.cover, currency=cur, provider_ref=ref)
        )
        now = replace(now, outcome="authorized")
    elif facts.cancelled is None and not covered and not cod and now.outcome is None:
        failure = _failure(facts, order, m)
        if failure is not None:
            out.append(ev.PaymentFailed(order_id=oid, reason=failure[0], provider_ref=failure[1]))
            now = replace(now, outcome="failed")

    due = ZERO
    if facts.cancelled is None and covered and now.outcome == "authorized":
        held = order.mode is SettlementMode.HELD
        due = _share(order, facts.shipped, facts.shipments) if held else total
    elif facts.cancelled is None and cod and now.outcome == "cash_on_delivery":
        due = _share(order, facts.delivered, facts.deliveries)
    # Parts the provider took before the order is covered are announced once it is (or once
    # it is cancelled, to be refunded): a part alone is no payment yet.
    reported = m.captured if covered or facts.cancelled is not None else ZERO
    captured = max(reported, due, now.captured)
    if captured > now.captured:
        out.append(
            ev.PaymentCaptured(
                order_id=oid, amount=captured - now.captured, currency=cur, provider_ref=ref
            )
        )
        now = replace(now, captured=captured)

    lost = now.outcome == "authorized" and not covered  # the provider voided it
    # A cancelled held order releases what its shipments did not take of the authorisation.
    left_held = order.mode is SettlementMode.HELD and min(m.cover, total) > now.captured
    if not now.voided and (
        (facts.cancelled is not None and m.cover > ZERO and (now.captured == ZERO or left_held))
        or (lost and now.captured == ZERO)
    ):
        reason = (
            f"order cancelled: {facts.cancelled}" if facts.cancelled else "voided by the provider"
        )
        out.append(ev.PaymentVoided(order_id=oid, reason=reason, provider_ref=ref))
        now = replace(now, voided=True)

    excess = max(ZERO, now.captured - total)
    ours = now.captured if facts.cancelled is not None else excess + sum(facts.returns.values())
    refund = min(now.captured, max(ours, m.refunded))
    if refund > now.refunded:
        reason = because or _refund_reason(facts, m, now, ours, excess)
        out.append(
            ev.PaymentRefunded(
                order_id=oid, amount=refund - now.refunded, currency=cur, reason=reason
            )
        )
        now = replace(now, refunded=refund)

    unpaid = not cod and not covered and now.outcome != "authorized"
    if facts.deadline_passed and not now.overdue and unpaid and facts.cancelled is None:
        out.append(ev.PaymentOverdue(order_id=oid, deadline=facts.deadline_passed))
        now = replace(now, overdue=True)
    return out, now


def _share(order: Order, whole: bool, parcels: Mapping[str, Mapping[str, int]]) -> Decimal:
    """What is due of the order for `parcels` (those that left, for a held payment; those
    delivered, for cash on delivery): each its share, the last the rest. `whole`: a parcel
    of unknown contents went, which stands for the whole order."""
    if whole:
        return order.total
    if not parcels:
        return ZERO
    return shipped_share(order.lines, order.total, order.currency, parcels)


def _refund_reason(facts: Facts, m: Money, now: Decided, ours: Decimal, excess: Decimal) -> str:
    if facts.cancelled is not None:
        return f"order cancelled: {facts.cancelled}"
    if m.refunded > ours:
        return "refunded at the payment provider"
    if excess > now.refunded:
        return f"overpaid: {now.captured} taken for an order of {now.captured - excess}"
    return "goods returned"


def _failure(facts: Facts, order: Order, m: Money) -> tuple[str, str | None] | None:
    """Why a prepaid order is not paid, once something says it will not be; None while a
    split payment is still collecting its parts. Chosen by rank, then notification id, so
    the reason does not depend on the order notifications arrived in."""
    notes = facts.notes
    if m.wrong_currency:
        first = notes[m.wrong_currency[0]]
        return (
            f"paid in {first.currency} but the order is in {order.currency}: "
            f"a payment in another currency is not accepted",
            first.ref,
        )
    if m.cover > ZERO and order.mode is not SettlementMode.SPLIT:
        return f"authorized {m.cover} is less than the order total {order.total}", m.refs[0]
    if m.declines:
        first = notes[m.declines[0]]
        return first.reason or "declined by the payment provider", first.ref
    return None
