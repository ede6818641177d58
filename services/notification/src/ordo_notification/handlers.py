"""Notification's handlers: decide which emails are due and record them for the mailer.

Nothing is sent here. A handler records a NotificationRequested event on the order's
CustomerNotices; the mailer task follows those and sends them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_notification.domain import (
    CANCELLATION_REFUSED,
    CANCELLED,
    RECEIVED,
    STATUS_OF,
    TOLD_AFTER_CANCELLATION,
    CustomerNotices,
    facts_of,
    message_id_for,
    notice_of,
    reship_shipped_of,
    template_of,
)
from ordo_notification.mail import language_for, render
from ordo_runtime import UnitOfWork


def on_order_received(event: ev.OrderReceived, uow: UnitOfWork) -> Sequence[ev.Event]:
    notices_id = CustomerNotices.create_id(event.order_id)
    notices = uow.get(CustomerNotices, notices_id)
    if notices is None:  # the usual case: open it knowing the customer, in one event
        notices = CustomerNotices(event.order_id, contact_of(event.order))
        uow.add(notices)
    elif notices.received:
        return []  # a redelivery
    else:
        if not notices.contact_known:  # a correction that overtook this event knows better
            contact = contact_of(event.order)
            notices.learn_contact(**contact, channel_email=contact["email"], channel_known=True)
        notices.mark_received()
    tell(notices, RECEIVED, {})
    release_pending(notices)
    return []


def on_order_corrected(event: ev.OrderCorrected, uow: UnitOfWork) -> Sequence[ev.Event]:
    """An operator's correction: later emails go to the address it gives, also in the
    versions of the order the channel sends next while they keep the address the channel
    had (it never knew the correction); a version with an address of its own is the
    customer's newer word. Only that field: the order the correction carries may be older
    than a revision taken meanwhile."""
    notices = notices_for(uow, event.order_id)
    email = event.correction.email
    fix = None if email is None else event.correction.model_dump(mode="json")
    if not notices.contact_known:  # it overtook OrderReceived: its order is all there is
        return learn(notices, contact_of(event.order), fix=fix)
    if email is None or fix in notices.email_fixes:
        return []  # nothing notification uses changed, or a repeat
    if not notices.email_fixes and email == notices.corrected_email:
        return []  # a repeat of a correction recorded before the fixes were kept
    if notices.channel_known:
        # Built on a version the channel has since changed the address in, it changes none.
        in_force = notices.email_in_force(notices.channel_email, fix)
        return learn(notices, {**notices.contact, "email": in_force}, fix=fix)
    return learn(notices, {**notices.contact, "email": email}, fix=fix)


def on_revision_accepted(event: ev.OrderRevisionAccepted, uow: UnitOfWork) -> Sequence[ev.Event]:
    """A channel's revision taken before release: later emails go to its address (unless an
    operator corrected it) and in its language."""
    notices = notices_for(uow, event.order_id)
    contact = contact_of(event.order)
    channel_email = contact["email"]
    contact["email"] = notices.email_in_force(channel_email)
    unchanged = notices.channel_known and notices.channel_email == channel_email
    if notices.contact_known and notices.email == contact["email"] and unchanged:
        return []  # the email is unchanged: later emails go where they went
    return learn(notices, contact, channel=True, channel_email=channel_email)


def learn(
    notices: CustomerNotices,
    contact: dict[str, Any],
    fix: dict[str, Any] | None = None,
    *,
    channel: bool = False,
    channel_email: str | None = None,
) -> Sequence[ev.Event]:
    """`channel`: `contact` comes from a version the channel sent, with `channel_email`
    (before any correction)."""
    notices.learn_contact(
        **contact,
        channel_email=channel_email,
        channel_known=channel,
        fix=fix,
    )
    release_pending(notices)
    return []


def on_status_event(event: ev.Event, uow: UnitOfWork) -> Sequence[ev.Event]:
    """A status change the customer may hear about (see `notice_of`)."""
    notice = notice_of(event)
    if notice is not None:
        key, _, facts = notice
        tell(notices_for(uow, event.order_id), key, facts)
    return []


def on_shipment_status(event: ev.ShipmentStatusChanged, uow: UnitOfWork) -> Sequence[ev.Event]:
    """A parcel's news, told as any status; and its tracking number, kept once it left the
    warehouse (again should the carrier give another), for the emails that name no parcel
    event of their own (a refused cancellation). A parcel sent again is told on its way with
    its tracking number, as the returned parcel's "shipped" email already went."""
    number = event.tracking_number
    if number is not None and event.status in ev.LEFT_WAREHOUSE:
        notices = notices_for(uow, event.order_id)
        kept = notices.tracking.get(event.shipment_id)
        if kept is None or kept["number"] != number:
            notices.learn_tracking(event.shipment_id, event.carrier, number)
    reship = reship_shipped_of(event)
    if reship is not None:
        tell(notices_for(uow, event.order_id), *reship)
    return on_status_event(event, uow)


def on_cancellation_refused(
    event: ev.OrderCancellationRefused, uow: UnitOfWork
) -> Sequence[ev.Event]:
    """Told once, naming the parcels the customer may refuse at delivery as they can follow
    them: the tracking numbers kept from their hand-over."""
    notices = notices_for(uow, event.order_id)
    known = notices.tracking
    tracking = [known[s] for s in event.shipments if s in known]
    tell(notices, CANCELLATION_REFUSED, {**facts_of(event), "tracking": tracking})
    return []


def notices_for(uow: UnitOfWork, order_id: str) -> CustomerNotices:
    notices_id = CustomerNotices.create_id(order_id)
    return uow.get_or_add(CustomerNotices, notices_id, lambda: CustomerNotices(order_id))


def contact_of(order: CanonicalOrder) -> dict[str, Any]:
    return {
        "email": order.customer.email or None,
        "name": order.customer.name,
        "language": language_for(order.language),
        "market": order.market,
        "reference": order.external_id,
    }


def tell(notices: CustomerNotices, status: str, facts: dict[str, Any]) -> None:
    """Ask for `status` to be sent once; until the email is known, remember it instead."""
    if notices.knows_of(status):
        return
    if notices.knows_of(CANCELLED) and template_of(status) not in TOLD_AFTER_CANCELLATION:
        # A parcel the warehouse handed over after all, a late confirmation: an operator has
        # a ticket for it and talks to the customer; "shipped" after "cancelled" would not do.
        return
    if not notices.contact_known:
        notices.hold(status, facts)  # topics are not ordered: OrderReceived may still come
    elif notices.email is not None:
        request(notices, status, facts)
    # An order without an email: nobody to tell, nothing to record.


def release_pending(notices: CustomerNotices) -> None:
    if not notices.pending:
        return
    if notices.email is None:
        notices.drop_pending()
        return
    for status, facts in list(notices.pending.items()):
        request(notices, status, facts)


def request(notices: CustomerNotices, status: str, facts: dict[str, Any]) -> None:
    assert notices.email is not None
    subject, body = render(
        template_of(status),
        notices.language,
        name=notices.name,
        reference=notices.reference,
        **facts,
    )
    notices.request(
        order_id=notices.order_id,
        status=status,
        recipient=notices.email,
        language=notices.language,
        subject=subject,
        body=body,
        message_id=message_id_for(notices.order_id, status),
    )


def record_sent(
    order_id: str, status: str, recipient: str, message_id: str
) -> Callable[[UnitOfWork], Sequence[ev.Event]]:
    """The mailer's command once an email is handed to the SMTP server; once per status."""

    def command(uow: UnitOfWork) -> Sequence[ev.Event]:
        notices = uow.get(CustomerNotices, CustomerNotices.create_id(order_id))
        if notices is None or status in notices.sent:
            return []
        notices.mark_sent(status, message_id)
        return [
            ev.NotificationSent(
                order_id=order_id, status=status, recipient=recipient, message_id=message_id
            )
        ]

    return command


EVENT_HANDLERS: dict[type[ev.Event], Callable[[Any, UnitOfWork], Sequence[ev.Event]]] = {
    **dict.fromkeys(STATUS_OF, on_status_event),
    ev.ShipmentPlanned: on_status_event,  # only a parcel sent again is news (see notice_of)
    ev.ShipmentStatusChanged: on_shipment_status,
    ev.OrderCancellationRefused: on_cancellation_refused,
    ev.OrderReceived: on_order_received,
    ev.OrderRevisionAccepted: on_revision_accepted,
    ev.OrderCorrected: on_order_corrected,
}
