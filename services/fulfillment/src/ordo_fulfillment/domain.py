"""The release gate: an order goes to the warehouse once, when validated, reserved and paid."""

from __future__ import annotations

import uuid

from eventsourcing.domain import Aggregate, event

NAMESPACE = uuid.UUID("3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b")


class ReleaseGate(Aggregate):
    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, order_id)

    @event("Opened")
    def __init__(
        self,
        order_id: str,
        validated: bool = False,
        reserved: dict[str, int] | None = None,
        paid: bool = False,
    ):
        # Opened by whichever fact arrives first, holding it: one event instead of two.
        self.order_id = order_id
        self.validated = validated
        self.reserved: dict[str, int] | None = reserved
        self.paid = paid
        self.released = False

    @event("VerdictNoted")
    def note_verdict(self, validated: bool) -> None:
        self.validated = validated

    @event("ReservationNoted")
    def note_reservation(self, lines: dict[str, int]) -> None:
        self.reserved = lines

    @event("PaymentNoted")
    def note_payment(self, paid: bool) -> None:
        self.paid = paid

    @property
    def ready(self) -> bool:
        return self.validated and self.reserved is not None and self.paid and not self.released

    @event("Released")
    def release(self) -> None:
        self.released = True
