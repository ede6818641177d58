"""The timeline's one-line summaries: what an operator reads of each event."""

from __future__ import annotations

from decimal import Decimal

from ordo_events import events as ev
from ordo_events.envelope import Envelope
from ordo_events.state import FINAL_STATUSES, OrderState, Status, summary

OID = "o-1"


def test_money_events_say_how_much() -> None:
    # A held or cash-on-delivery order is captured parcel by parcel: each line its amount.
    assert [
        summary(
            ev.PaymentAuthorized(
                order_id=OID, amount=Decimal("32.35"), currency="PLN", provider_ref="psp-1"
            )
        ),
        summary(ev.PaymentCaptured(order_id=OID, amount=Decimal("25.00"), currency="PLN")),
        summary(ev.PaymentCaptured(order_id=OID, amount=Decimal("7.35"), currency="PLN")),
        summary(ev.CashOnDeliveryAccepted(order_id=OID, amount=Decimal("10.00"), currency="EUR")),
        summary(ev.PaymentVoided(order_id=OID, reason="order cancelled")),
    ] == [
        "32.35 PLN authorised",
        "25.00 PLN captured",
        "7.35 PLN captured",
        "cash on delivery: 10.00 EUR to collect",
        "authorisation voided (order cancelled)",
    ]


def test_a_parcel_returned_to_sender_says_why_and_what_was_not_collected() -> None:
    sid = "o-1-S1-abcdef"
    back = ev.ShipmentStatusChanged(
        order_id=OID, shipment_id=sid, status="returned_to_sender", note="refused by recipient"
    )
    assert [
        summary(back),
        summary(back.model_copy(update={"note": None})),
        summary(ev.StockRestocked(order_id=OID, shipment_id=sid, lines=[line("A", 2)])),
        summary(
            ev.CashOnDeliveryNotCollected(
                order_id=OID, shipment_id=sid, amount=Decimal("32.35"), currency="PLN"
            )
        ),
    ] == [
        "shipment o-1-S1-a: returned to sender (refused by recipient)",
        "shipment o-1-S1-a: returned to sender (no reason given)",
        "2 unit(s) of returned shipment o-1-S1-a back in stock",
        "cash on delivery: 32.35 PLN not collected, shipment o-1-S1-a came back",
    ]


def line(sku: str, quantity: int) -> ev.ReservedLine:
    return ev.ReservedLine(sku=sku, quantity=quantity)


def shipment(sid: str, status: ev.ShipmentStatus) -> Envelope:
    return Envelope(ev.ShipmentStatusChanged(order_id=OID, shipment_id=sid, status=status), "/t")


def test_an_order_whose_parcels_are_done_and_one_came_back_is_returned_to_sender() -> None:
    first, second = shipment("S1", "handed_to_carrier"), shipment("S2", "handed_to_carrier")
    back = shipment("S1", "returned_to_sender")
    assert OrderState.fold(OID, [first, second, back]).status is Status.SHIPPED  # S2 on its way
    done = OrderState.fold(OID, [first, second, back, shipment("S2", "delivered")])
    assert done.status is Status.RETURNED_TO_SENDER
    assert Status.RETURNED_TO_SENDER in FINAL_STATUSES


def test_the_cash_not_collected_adds_up_over_the_parcels_that_came_back() -> None:
    def uncollected(sid: str, amount: str) -> Envelope:
        data = ev.CashOnDeliveryNotCollected(
            order_id=OID, shipment_id=sid, amount=Decimal(amount), currency="PLN"
        )
        return Envelope(data, "/t")

    state = OrderState.fold(OID, [uncollected("S1", "25.00"), uncollected("S2", "7.35")])
    assert state.not_collected == Decimal("32.35")
    assert OrderState(OID).not_collected == 0


def test_a_cancellation_reads_as_requested_then_answered() -> None:
    sid = f"{OID}-S2"
    assert [
        summary(
            ev.OrderCancellationRequested(order_id=OID, reason="changed mind", requested_by="ola")
        ),
        summary(ev.OrderCancelled(order_id=OID, reason="changed mind", cancelled_by="ola")),
        summary(
            ev.ShipmentWithdrawn(order_id=OID, shipment_id=sid, lines=[], reason="order cancelled")
        ),
        summary(
            ev.OrderCancellationRefused(
                order_id=OID, reason="changed mind", requested_by="ola", shipments=[sid]
            )
        ),
    ] == [
        "cancellation requested by ola: changed mind",
        "cancelled by ola: changed mind",
        "shipment S2 withdrawn: order cancelled",
        "cancellation refused: shipment(s) S2 already left the warehouse",
    ]


def test_an_orders_shipments_are_told_apart_by_their_number() -> None:
    first, second = f"{OID}-S1", f"{OID}-S2"
    assert [
        summary(ev.ShipmentStatusChanged(order_id=OID, shipment_id=first, status="in_transit")),
        summary(ev.ShipmentStatusChanged(order_id=OID, shipment_id=second, status="delivered")),
        summary(ev.StockShipped(order_id=OID, shipment_id=second, lines=[line("A", 1)])),
    ] == [
        "shipment S1: in transit",
        "shipment S2: delivered",
        "1 reserved unit(s) left the warehouse with shipment S2",
    ]


def test_a_release_with_nothing_held_says_the_reservation_ended() -> None:
    line = ev.ReservedLine(sku="SKU-1", quantity=1)
    assert summary(ev.StockReleased(order_id=OID, lines=[line], reason="cancelled")) == (
        "stock released (cancelled)"
    )
    assert summary(ev.StockReleased(order_id=OID, lines=[], reason="cancelled")) == (
        "reservation ended (cancelled): nothing was held any more"
    )
    ended = OrderState(OID, reserved=True).apply(
        Envelope(data=ev.StockReleased(order_id=OID, lines=[], reason="cancelled"), source="/t")
    )
    assert ended.reserved is False
