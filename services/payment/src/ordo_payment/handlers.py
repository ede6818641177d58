"""Payment's handlers. Each returns the settlement decision it can make now, if any."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ordo_events import events as ev
from ordo_events.order import PaymentMethod
from ordo_payment.domain import Settlement
from ordo_runtime import UnitOfWork


def settlement(uow: UnitOfWork, order_id: str) -> Settlement:
    return uow.get_or_add(Settlement, Settlement.create_id(order_id), lambda: Settlement(order_id))


def on_order_received(event: ev.OrderReceived, uow: UnitOfWork) -> Sequence[ev.Event]:
    order = event.order
    known = (order.payment.method.value, order.total, order.currency)
    case = uow.get(Settlement, Settlement.create_id(event.order_id))
    if case is None:
        case = Settlement(event.order_id, *known)
        uow.add(case)
    elif case.method is not None:
        return []  # a redelivery
    else:
        case.learn_order(*known)  # a provider notification came first
    return decide(case)


def on_provider_notification(
    event: ev.PaymentNotificationReceived, uow: UnitOfWork
) -> Sequence[ev.Event]:
    case = settlement(uow, event.order_id)
    if event.notification_id in case.notifications:
        return []  # the provider re-sent it
    case.note(
        event.notification_id, event.status, event.amount, event.provider_ref, event.reason or ""
    )
    return decide(case)


def on_order_corrected(event: ev.OrderCorrected, uow: UnitOfWork) -> Sequence[ev.Event]:
    method = event.correction.payment_method
    case = settlement(uow, event.order_id)
    if method is None or event.ticket_id in case.corrections or case.paid:
        return []
    case.change_method(event.ticket_id, method.value)
    return decide(case)


def decide(case: Settlement) -> list[ev.Event]:
    """What the settlement allows now. Emits only on a change of outcome."""
    if case.method is None or case.total is None or case.currency is None or case.paid:
        return []
    if case.method == PaymentMethod.CASH_ON_DELIVERY:
        case.settle("cash_on_delivery")
        return [
            ev.CashOnDeliveryAccepted(
                order_id=case.order_id, amount=case.total, currency=case.currency
            )
        ]
    for note in case.notifications.values():
        if note["status"] == "authorized" and Decimal(note["amount"]) >= case.total:
            case.settle("authorized")
            return [
                ev.PaymentAuthorized(
                    order_id=case.order_id,
                    amount=Decimal(note["amount"]),
                    currency=case.currency,
                    provider_ref=note["ref"],
                )
            ]
    if case.notifications and case.outcome != "failed":
        last = list(case.notifications.values())[-1]
        reason = last["reason"] or "declined by the payment provider"
        if last["status"] == "authorized":
            reason = f"authorized {last['amount']} is less than the order total {case.total}"
        case.settle("failed")
        return [ev.PaymentFailed(order_id=case.order_id, reason=reason, provider_ref=last["ref"])]
    return []


EVENT_HANDLERS: dict[type[ev.Event], Callable[[Any, UnitOfWork], Sequence[ev.Event]]] = {
    ev.OrderReceived: on_order_received,
    ev.PaymentNotificationReceived: on_provider_notification,
    ev.OrderCorrected: on_order_corrected,
}
