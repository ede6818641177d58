"""Payment's handler for parcels (`ShipmentStatusChanged`): a held order's share is captured
as its goods leave, a cash on delivery order's collected as they are delivered, and a cash on
delivery parcel that comes back is said not collected. A parcel sent again in place of one
that came back (`replaces`) carries the same goods: one share of the order between them."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ordo_events import events as ev
from ordo_events.order import SettlementMode
from ordo_payment.domain import Settlement, announce
from ordo_payment.shipments import left_uncollected
from ordo_runtime import UnitOfWork


def on_shipment(event: ev.ShipmentStatusChanged, uow: UnitOfWork) -> Sequence[ev.Event]:
    """Held payments are captured as goods leave, each shipment its share (the first status
    that says it left counts, as in inventory: a failed delivery left too); cash on delivery
    as each shipment is delivered, its share collected by the courier. A shipment that names
    no lines (published before shipments did) cannot tell its share: the whole order. A
    prepaid parcel returned to sender changes nothing here (an operator decides between
    sending it again and a refund); a cash on delivery one is said to be not collected. A
    parcel sent again (`replaces`) carries the returned one's goods: one share for both."""
    if event.status not in ev.LEFT_WAREHOUSE:
        return []
    case = uow.get(Settlement, Settlement.create_id(event.order_id))
    if case is None or event.shipment_id in case.replaced.values():
        return []  # unknown order, or a parcel sent again since: its goods are the new one's
    if case.mode is SettlementMode.CASH_ON_DELIVERY and event.status == "returned_to_sender":
        return _not_collected(case, event)
    if case.mode is SettlementMode.HELD:
        return _left(case, event)
    if case.mode is SettlementMode.CASH_ON_DELIVERY and event.status == "delivered":
        return _delivered(case, event)
    return []  # nothing this settlement waits for: no write on the hot path


def _left(case: Settlement, event: ev.ShipmentStatusChanged) -> list[ev.Event]:
    """A held order's shipment left: its share is captured. A parcel sent again carries goods
    whose share was captured when the returned parcel left: the customer is not charged for
    them twice. Only if that share was never taken (the returned parcel went unheard of) is
    it taken now, once, for the parcel sent again."""
    sid = event.shipment_id
    if case.shipped or sid in case.shipments or sid in case.replaced:
        return []  # its share is taken already (or the whole order's was)
    if event.replaces is not None:
        taken = event.replaces in case.shipments or event.replaces in case.replaced
        case.sent_again(sid, event.replaces)
        if taken:
            return []
    if event.lines:
        case.shipment_left(sid, _per_sku(event.lines))
    else:
        case.shipment_moved(event.status)
    return announce(case)


def _delivered(case: Settlement, event: ev.ShipmentStatusChanged) -> list[ev.Event]:
    """A cash on delivery shipment was delivered: the courier collected its share. One sent
    again collects like any other, and what the returned parcel left uncollected is then
    no longer outstanding: an order all of whose goods arrived was collected in full."""
    if case.delivered or event.shipment_id in case.deliveries:
        return []
    if event.replaces is not None and event.shipment_id not in case.replaced:
        case.sent_again(event.shipment_id, event.replaces)
    if event.lines:
        case.shipment_delivered(event.shipment_id, _per_sku(event.lines))
    else:
        case.shipment_moved(event.status)
    return announce(case)


def _not_collected(case: Settlement, event: ev.ShipmentStatusChanged) -> list[ev.Event]:
    """The courier brought a cash on delivery parcel back: nothing was collected for it. Said
    once per parcel, with what of the order it leaves uncollected, so the settlement's
    shortfall is on record instead of a total that is silently never reached. A parcel sent
    again that comes back too leaves uncollected what the returned one did (the same goods),
    and takes that shortfall over: the settlement counts it once."""
    if event.shipment_id in case.sent_back or event.shipment_id in case.deliveries:
        return []
    if case.delivered or case.total is None or case.currency is None:
        return []  # the whole order was collected already, or it is not known yet
    parcel = _per_sku(event.lines)
    amount: Decimal | None = None
    if event.replaces is not None:
        amount = case.uncollected.get(event.replaces)
        if event.shipment_id not in case.replaced:
            case.sent_again(event.shipment_id, event.replaces)
    if amount is None:
        returned = case.sent_back.values()
        amount = left_uncollected(case.priced_lines, case.total, case.currency, returned, parcel)
    if amount is None:  # its contents cannot be told: all that is not collected yet
        amount = case.total - case.captured - sum(case.uncollected.values(), Decimal(0))
        amount = max(Decimal(0), amount)
    case.shipment_sent_back(event.shipment_id, parcel, amount)
    return [
        ev.CashOnDeliveryNotCollected(
            order_id=case.order_id,
            shipment_id=event.shipment_id,
            amount=amount,
            currency=case.currency,
        )
    ]


def _per_sku(lines: Sequence[ev.ReservedLine]) -> dict[str, int]:
    quantities: dict[str, int] = {}
    for line in lines:  # one SKU may come from two warehouses in one shipment
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    return quantities
