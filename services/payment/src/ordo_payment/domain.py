"""An order's settlement: prepaid orders wait for the provider, cash on delivery passes."""

from __future__ import annotations

import uuid
from decimal import Decimal

from eventsourcing.domain import Aggregate, event

NAMESPACE = uuid.UUID("0c9d8e7f-1a2b-4c3d-8e9f-a0b1c2d3e4f5")


class Settlement(Aggregate):
    """Created by whichever comes first: the order, or the provider's notification about it."""

    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, order_id)

    @event("Opened")
    def __init__(
        self,
        order_id: str,
        method: str | None = None,
        total: Decimal | None = None,
        currency: str | None = None,
    ):
        # Usually opened by the order itself, knowing it: one event instead of two.
        self.order_id = order_id
        self.method: str | None = method
        self.total: Decimal | None = total
        self.currency: str | None = currency
        self.notifications: dict[str, dict[str, str]] = {}
        self.outcome: str | None = None  # authorized | failed | cash_on_delivery
        self.corrections: list[str] = []

    @event("OrderKnown")
    def learn_order(self, method: str, total: Decimal, currency: str) -> None:
        self.method, self.total, self.currency = method, total, currency

    @event("Notified")
    def note(
        self, notification_id: str, status: str, amount: Decimal, ref: str, reason: str
    ) -> None:
        self.notifications[notification_id] = {
            "status": status,
            "amount": str(amount),
            "ref": ref,
            "reason": reason,
        }

    @event("Settled")
    def settle(self, outcome: str) -> None:
        self.outcome = outcome

    @event("MethodChanged")
    def change_method(self, correction_id: str, method: str) -> None:
        self.method = method
        self.corrections.append(correction_id)

    @property
    def paid(self) -> bool:
        return self.outcome in ("authorized", "cash_on_delivery")
