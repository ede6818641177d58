"""Validation's handlers: one per message, each returning the events it decides."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_runtime import UnitOfWork
from ordo_validation.domain import OrderCheck
from ordo_validation.rules import active


def on_order_received(event: ev.OrderReceived, uow: UnitOfWork) -> Sequence[ev.Event]:
    if uow.get(OrderCheck, OrderCheck.create_id(event.order_id)) is not None:
        return []  # already checked: a redelivery, or a revision accepted before it arrived
    issues = check_order(event.order, uow)
    uow.add(OrderCheck(event.order_id, [i.code for i in issues]))
    return [verdict(event.order_id, event.order, issues, attempt=1)]


def on_order_corrected(event: ev.OrderCorrected, uow: UnitOfWork) -> Sequence[ev.Event]:
    """The corrected order judged again. Ticketing built it on the version it had; when a
    revision taken since is the latest here, only the corrected fields are set on that
    revision, so the correction cannot bring back what the revision changed."""
    check = uow.get(OrderCheck, OrderCheck.create_id(event.order_id))
    fix = event.correction.model_dump(mode="json")
    if check is None:
        issues = check_order(event.order, uow)
        uow.add(OrderCheck(event.order_id, [i.code for i in issues], fix=fix))
        return [verdict(event.order_id, event.order, issues, 1, event.sequence)]
    if event.ticket_id in check.corrections:
        return []
    order = event.order
    if event.sequence < check.sequence and check.sent is not None:
        order = check.in_force(CanonicalOrder.model_validate(check.sent), event.correction)
    issues = check_order(order, uow)
    check.recheck(event.ticket_id, [i.code for i in issues], fix)
    sequence = max(event.sequence, check.sequence)  # the version the order judged is of
    return [verdict(event.order_id, order, issues, check.attempts, sequence)]


def on_revision_accepted(event: ev.OrderRevisionAccepted, uow: UnitOfWork) -> Sequence[ev.Event]:
    """The channel's new version, taken by the release gate before release, with the
    operator's corrections on top (the channel never had them), judged by the rules in
    force. A pass is always announced: the gate waits for this version's verdict and
    inventory reserves from it. A failure is announced unless it is the same failure as
    before (the open ticket already says it)."""
    check = uow.get(OrderCheck, OrderCheck.create_id(event.order_id))
    sent = event.order.model_dump(mode="json")
    if check is None:  # the revision overtook the order it revises
        issues = check_order(event.order, uow)
        uow.add(OrderCheck(event.order_id, [i.code for i in issues], event.sequence, sent))
        return [verdict(event.order_id, event.order, issues, 1, event.sequence)]
    if event.sequence <= check.sequence:
        return []  # a repeat, or a version older than the one judged
    order = check.in_force(event.order)
    issues = check_order(order, uow)
    codes = [i.code for i in issues]
    same_failure = bool(issues) and codes == check.codes
    check.revise(event.sequence, codes, sent)
    if same_failure:
        return []
    return [verdict(event.order_id, order, issues, check.attempts, event.sequence)]


def check_order(order: CanonicalOrder, uow: UnitOfWork) -> list[ev.Issue]:
    """The order judged by the rule set in force (compiled; refreshed at most once a second)."""
    return active(uow.app).current().check(order)


def verdict(
    order_id: str, order: CanonicalOrder, issues: list[ev.Issue], attempt: int, sequence: int = 0
) -> ev.Event:
    if issues:
        return ev.OrderValidationFailed(
            order_id=order_id, issues=issues, attempt=attempt, sequence=sequence
        )
    return ev.OrderValidated(order_id=order_id, order=order, attempt=attempt, sequence=sequence)


EVENT_HANDLERS: dict[type[ev.Event], Callable[[Any, UnitOfWork], Sequence[ev.Event]]] = {
    ev.OrderReceived: on_order_received,
    ev.OrderCorrected: on_order_corrected,
    ev.OrderRevisionAccepted: on_revision_accepted,
}
