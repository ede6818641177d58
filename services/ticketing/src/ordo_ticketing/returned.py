"""A parcel returned to sender: what the case keeps of it, and the ticket it calls for.

The carrier's word (ShipmentStatusChanged, on ordo.fulfillment) and, for cash on delivery,
payment's word on what the parcel leaves uncollected (CashOnDeliveryNotCollected, on
ordo.payment) come on different topics, in either order. The ticket opens once the case has
both, so its instructions can say what the operator needs: which parcel, why, what came back
to stock, and what was not paid. Nothing is re-shipped or refunded on its own: the operator
talks to the customer and decides. When no other parcel is with the carrier or the customer,
cancelling the order (from the ticket) refunds it; otherwise the parcel is refunded by hand.
"""

from __future__ import annotations

from typing import Any

from ordo_events import events as ev
from ordo_events.order import SettlementMode
from ordo_ticketing.domain import Case

RETURNED = "returned_to_sender"  # the carrier's status, and the ticket's reason


def sent_back_facts(event: ev.ShipmentStatusChanged) -> dict[str, Any]:
    """What the case keeps of the carrier's word until the ticket can open."""
    return {
        "carrier": event.carrier,
        "tracking_number": event.tracking_number,
        "note": event.note,
        "lines": [line.model_dump(mode="json") for line in event.lines],
    }


def returned_ticket(
    case: Case, shipment_id: str, waited: bool = False
) -> tuple[ev.Issue, dict[str, Any]] | None:
    """The issue and the details (JSON, what the instructions render from) of the ticket for
    a parcel returned to sender; None while half of what it needs is still on its way. An
    order ticketing does not know yet cannot tell cash on delivery: it opens without. Once
    `waited` long enough for payment's word (see sweep.OpenReturnedTickets), a cash on
    delivery parcel's ticket opens without it too, saying so: a parcel back on the shelf must
    reach an operator even while payment is down or behind."""
    back = case.sent_back.get(shipment_id)
    order = case.current_order
    settlement = None if order is None else order.payment.mode
    cash = case.uncollected.get(shipment_id)
    cod = settlement is SettlementMode.CASH_ON_DELIVERY
    if back is None or (cash is None and cod and not waited):
        return None
    note = back["note"] or "the carrier gave no reason"
    issue = ev.Issue(code="delivery.returned_to_sender", field="delivery", message=note)
    details = {
        "subject": shipment_id,  # one ticket per parcel that came back
        "shipment_id": shipment_id,
        "carrier": back["carrier"],
        "tracking_number": back["tracking_number"],
        "note": note,
        "lines": back["lines"],
        "settlement": None if settlement is None else settlement.value,
        "not_collected": None if cash is None else cash["amount"],
        "currency": None if cash is None else cash["currency"],
        "uncollected_unknown": cash is None and cod,
        # Whether cancelling the order is the way to give the customer their money back:
        # only while no other parcel of it is with the carrier or the customer.
        "others_out": case.out_there(),
        "order_cancelled": case.cancelled,
    }
    return issue, details
