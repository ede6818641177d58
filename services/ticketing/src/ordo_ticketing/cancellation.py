"""The release gate's answers to a cancellation ticketing asked for (CancelOrder): the order
cancelled closes its tickets; a refusal, and goods that left after all, are tickets of
their own. Fulfillment decides, because only it knows, in the same write, whether a
shipment left; ticketing's view of departures lags behind it."""

from __future__ import annotations

from collections.abc import Sequence

from ordo_events import events as ev
from ordo_runtime import UnitOfWork
from ordo_ticketing.opening import case_of, open_ticket


def on_order_cancelled(event: ev.OrderCancelled, uow: UnitOfWork) -> Sequence[ev.Event]:
    """Every live ticket of the order is cancelled: nobody needs to answer them now."""
    case = case_of(uow, event.order_id)
    if case.cancelled:
        return []  # a redelivery
    live = case.live_tickets()
    case.cancel_order()
    events: list[ev.Event] = []
    for ticket_id in live:
        case.cancel_ticket(ticket_id)
        events.append(
            ev.TicketCancelled(
                order_id=event.order_id,
                ticket_id=ticket_id,
                cancelled_by=event.cancelled_by,
                reason=event.reason,
            )
        )
    return events


def on_cancellation_refused(
    event: ev.OrderCancellationRefused, uow: UnitOfWork
) -> Sequence[ev.Event]:
    """The goods had left when the request reached the gate: the order goes on, and an
    operator tells the customer and arranges a return if they still do not want them."""
    case = case_of(uow, event.order_id)
    if case.cancellation_requested:
        case.refuse_cancellation()
    for shipment_id in event.shipments:
        if shipment_id not in case.left:
            case.shipment_left(shipment_id)  # the gate knew first: cancel says 409 from now on
    issue = ev.Issue(
        code="cancellation.refused",
        field=None,
        message="The order could not be cancelled: its goods had left the warehouse.",
    )
    return open_ticket(
        uow,
        event.order_id,
        "cancellation_refused",
        ",".join(sorted(event.shipments)),
        [issue],
        shipments=list(event.shipments),
        requested_by=event.requested_by,
        request_reason=event.reason,
    )


def shipped_after_cancellation(event: ev.ShipmentStatusChanged, uow: UnitOfWork) -> list[ev.Event]:
    """A withdrawn shipment of a cancelled order left the warehouse anyway: the money went
    back, the goods are going out. One ticket per shipment, to get the parcel back. (Called
    for a cancelled order's case and a status that says the goods left.)"""
    issue = ev.Issue(
        code="shipment.left_after_cancellation",
        field=None,
        message="A shipment of this cancelled order left the warehouse.",
    )
    return open_ticket(
        uow,
        event.order_id,
        "shipped_after_cancellation",
        event.shipment_id,
        [issue],
        subject=event.shipment_id,
        shipment_id=event.shipment_id,
        status=event.status,
        carrier=event.carrier,
        tracking_number=event.tracking_number,
    )
