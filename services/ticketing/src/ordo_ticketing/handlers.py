"""Ticketing's handlers: remember each order, and open a ticket when one leaves the happy path."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from ordo_events import events as ev
from ordo_runtime import UnitOfWork
from ordo_ticketing.cancellation import (
    on_cancellation_refused,
    on_order_cancelled,
    shipped_after_cancellation,
)
from ordo_ticketing.domain import Case
from ordo_ticketing.opening import case_of, open_ticket, short_issues
from ordo_ticketing.reship import on_reship_shortage, on_shipment_planned
from ordo_ticketing.returned import RETURNED, returned_ticket, sent_back_facts
from ordo_ticketing.revisions import changes


def on_order_received(event: ev.OrderReceived, uow: UnitOfWork) -> Sequence[ev.Event]:
    order = event.order.model_dump(mode="json")
    case = uow.get_or_add(Case, Case.create_id(event.order_id), lambda: Case(event.order_id, order))
    if case.order is None:  # a late or repeated OrderReceived must not undo a correction
        case.learn_order(order)
    return []


def on_order_corrected(event: ev.OrderCorrected, uow: UnitOfWork) -> Sequence[ev.Event]:
    # Ticketing emitted it itself when the ticket was resolved; this only matters when the
    # resolution is not in the case (state rebuilt elsewhere), and it is a no-op otherwise.
    case = case_of(uow, event.order_id)
    if event.ticket_id in case.corrections:
        return []
    order = event.order
    if event.sequence < case.sequence and case.current_order is not None:
        # Built on a version since replaced: its fields, set on the one held.
        order = event.correction.apply(case.current_order, case.channel_order)
    fix = event.correction.model_dump(mode="json")
    case.apply_correction(event.ticket_id, order.model_dump(mode="json"), fix)
    return []


def on_revision_accepted(event: ev.OrderRevisionAccepted, uow: UnitOfWork) -> Sequence[ev.Event]:
    """The channel's new version replaced the order before release, the operator's
    corrections staying on it (the channel never had them) save in the fields the channel
    has changed since: a correction applies to it from now on, and a failure of it is a new
    one (the case's generation moves)."""
    case = case_of(uow, event.order_id)
    if event.sequence <= case.sequence:
        return []  # a repeat, or a version older than the one held
    in_force = case.in_force(event.order).model_dump(mode="json")
    case.revise_order(in_force, event.sequence, event.order.model_dump(mode="json"))
    return []


def on_revised_after_release(
    event: ev.OrderRevisedAfterRelease, uow: UnitOfWork
) -> Sequence[ev.Event]:
    """The case keeps the released order; the ticket names what the channel changed (the
    operator's corrections would stay on its version, so they are no change)."""
    case = case_of(uow, event.order_id)
    digest = hashlib.sha256(event.order.model_dump_json().encode()).hexdigest()[:16]
    issue = ev.Issue(
        code="order.revised_after_release",
        field=None,
        message="The channel changed the order after it was released to the warehouse.",
    )
    return open_ticket(
        uow,
        event.order_id,
        "revised_after_release",
        digest,
        [issue],
        subject=digest,  # each late version is a ticket of its own
        revision=event.revision,
        changes=changes(case.current_order, case.in_force(event.order)),
    )


def on_validation_failed(event: ev.OrderValidationFailed, uow: UnitOfWork) -> Sequence[ev.Event]:
    return open_ticket(
        uow,
        event.order_id,
        "validation_failed",
        f"attempt-{event.attempt}",
        event.issues,
        attempt=event.attempt,
    )


def on_stock_shortage(event: ev.StockShortage, uow: UnitOfWork) -> Sequence[ev.Event]:
    issues = short_issues(event.missing)
    missing = [m.model_dump(mode="json") for m in event.missing]
    return open_ticket(uow, event.order_id, "out_of_stock", None, issues, missing=missing)


def on_payment_failed(event: ev.PaymentFailed, uow: UnitOfWork) -> Sequence[ev.Event]:
    issues = [ev.Issue(code="payment.declined", field="payment", message=event.reason)]
    return open_ticket(uow, event.order_id, "payment_declined", None, issues, failure=event.reason)


def on_order_rejected(event: ev.OrderRejected, uow: UnitOfWork) -> Sequence[ev.Event]:
    return open_ticket(
        uow,
        event.order_id,
        "order_rejected",
        None,
        event.issues,
        channel=event.channel,
        external_id=event.external_id,
    )


def on_payment_overdue(event: ev.PaymentOverdue, uow: UnitOfWork) -> Sequence[ev.Event]:
    deadline = event.deadline.isoformat()
    issue = ev.Issue(
        code="payment.overdue",
        field="payment",
        message=f"Not paid by {event.deadline:%Y-%m-%d %H:%M}.",
    )
    return open_ticket(uow, event.order_id, "payment_overdue", deadline, [issue], deadline=deadline)


def on_complaint_filed(event: ev.ComplaintFiled, uow: UnitOfWork) -> Sequence[ev.Event]:
    issue = ev.Issue(code="complaint", field=None, message=event.message)
    return open_ticket(
        uow,
        event.order_id,
        "complaint",
        event.complaint_id,
        [issue],
        subject=event.complaint_id,  # each complaint is a ticket of its own
        complaint=event.message,
        filed_by=event.filed_by,
    )


def on_shipment_status_changed(
    event: ev.ShipmentStatusChanged, uow: UnitOfWork
) -> Sequence[ev.Event]:
    if event.status not in ev.LEFT_WAREHOUSE:
        return []  # planned or packed: nothing the case keeps (a failed delivery left too)
    case = case_of(uow, event.order_id)
    if event.shipment_id not in case.left:
        case.shipment_left(event.shipment_id)  # from now on the order cannot be cancelled
    if event.status == RETURNED:
        return on_sent_back(event, uow, case)  # for a cancelled order too: goods came back
    if case.cancelled:
        return shipped_after_cancellation(event, uow)
    if event.status != "delivery_failed":
        return []
    note = event.note or "the carrier gave no reason"
    issue = ev.Issue(code="delivery.failed", field="delivery", message=note)
    attempt = sum(
        1 for t in case.tickets.values() if t.get("details", {}).get("subject") == event.shipment_id
    )
    return open_ticket(
        uow,
        event.order_id,
        "delivery_failed",
        f"{event.shipment_id}/{attempt}",
        [issue],
        subject=event.shipment_id,  # one live ticket per shipment that did not arrive
        carrier=event.carrier,
        tracking_number=event.tracking_number,
        note=note,
    )


def on_sent_back(
    event: ev.ShipmentStatusChanged, uow: UnitOfWork, case: Case
) -> Sequence[ev.Event]:
    if event.shipment_id not in case.sent_back:
        case.shipment_sent_back(event.shipment_id, sent_back_facts(event))
    return open_returned(uow, case, event.shipment_id)


def on_cash_not_collected(
    event: ev.CashOnDeliveryNotCollected, uow: UnitOfWork
) -> Sequence[ev.Event]:
    case = case_of(uow, event.order_id)
    if event.shipment_id not in case.uncollected:
        case.cash_not_collected(event.shipment_id, str(event.amount), event.currency)
    return open_returned(uow, case, event.shipment_id)


def open_returned(
    uow: UnitOfWork, case: Case, shipment_id: str, waited: bool = False
) -> list[ev.Event]:
    found = returned_ticket(case, shipment_id, waited)
    if found is None:
        return []
    issue, details = found
    return open_ticket(uow, case.order_id, RETURNED, shipment_id, [issue], **details)


EVENT_HANDLERS: dict[type[ev.Event], Callable[[Any, UnitOfWork], Sequence[ev.Event]]] = {
    ev.OrderReceived: on_order_received,
    ev.OrderCorrected: on_order_corrected,
    ev.OrderValidationFailed: on_validation_failed,
    ev.StockShortage: on_stock_shortage,
    ev.PaymentFailed: on_payment_failed,
    ev.OrderRejected: on_order_rejected,
    ev.PaymentOverdue: on_payment_overdue,
    ev.ComplaintFiled: on_complaint_filed,
    ev.ShipmentStatusChanged: on_shipment_status_changed,
    ev.CashOnDeliveryNotCollected: on_cash_not_collected,
    ev.OrderRevisionAccepted: on_revision_accepted,
    ev.OrderRevisedAfterRelease: on_revised_after_release,
    ev.OrderCancelled: on_order_cancelled,
    ev.OrderCancellationRefused: on_cancellation_refused,
    ev.ShipmentPlanned: on_shipment_planned,
    ev.ReshipShortage: on_reship_shortage,
}
