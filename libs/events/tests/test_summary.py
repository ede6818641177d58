"""The timeline's one-line summaries: what an operator reads of each event."""

from __future__ import annotations

from decimal import Decimal

from ordo_events import events as ev
from ordo_events.state import summary

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
