"""An order's settlement: the facts known about its payment, and what was announced.

The decisions themselves are pure (`policy.decide`); the aggregate records facts as they
arrive and, in one `Decided` event, what the decision announced, so a redelivered fact is
recognised and money is never announced twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from ordo_events import events as ev
from ordo_events.order import SettlementMode
from ordo_payment.policy import ZERO, Decided, Facts, Note, Order, decide
from ordo_payment.shipments import Line
from ordo_runtime.ids import stable_id

NAMESPACE = uuid.UUID("0c9d8e7f-1a2b-4c3d-8e9f-a0b1c2d3e4f5")
# Stored before settlement modes existed: a prepaid order was settled in full.
_LEGACY_MODES = {"prepaid": SettlementMode.FULL.value}


class Settlement(Aggregate):
    """Created by whichever comes first: the order, or the provider's notification about it."""

    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return stable_id(NAMESPACE, order_id)

    @event("Opened")
    def __init__(
        self,
        order_id: str,
        method: str | None = None,
        total: Decimal | None = None,
        currency: str | None = None,
        deadline: datetime | None = None,
        lines: list[dict[str, str]] | None = None,
    ):
        # Usually opened by the order itself, knowing it: one event instead of two.
        # `method` holds the settlement mode (the name predates the modes).
        self.order_id = order_id
        self.method: str | None = method
        self.total: Decimal | None = total
        self.currency: str | None = currency
        self.deadline: datetime | None = deadline
        # The order's lines (sku, quantity, unit_price as text), to value what a shipment
        # carries; None in settlements stored before they were kept.
        self.lines: list[dict[str, str]] | None = lines
        self.notifications: dict[str, dict[str, str]] = {}
        self.outcome: str | None = None  # authorized | failed | cash_on_delivery
        self.corrections: list[str] = []
        self.shipped = False  # a shipment of unknown contents left: the whole order
        self.shipments: dict[str, dict[str, int]] = {}  # quantity per SKU, by shipment id
        self.delivered = False  # a cash on delivery shipment of unknown contents arrived
        # A cash on delivery order's shipments delivered (the courier collected for them),
        # quantity per SKU, by shipment id.
        self.deliveries: dict[str, dict[str, int]] = {}
        # A cash on delivery order's parcels returned to sender (nothing collected for them),
        # quantity per SKU, by shipment id, and what each leaves uncollected of the order.
        self.sent_back: dict[str, dict[str, int]] = {}
        self.uncollected: dict[str, Decimal] = {}
        # Parcels sent again in place of ones that came back to sender: the shipment each
        # replaces, by its id. The same goods, so one share of the order between them.
        self.replaced: dict[str, str] = {}
        self.cancelled: str | None = None
        self.returns: dict[str, Decimal] = {}
        self.deadline_passed: datetime | None = None
        self.captured = ZERO
        self.refunded = ZERO
        self.voided = False
        self.overdue = False

    @event("OrderKnown")
    def learn_order(
        self,
        method: str,
        total: Decimal,
        currency: str,
        deadline: datetime | None = None,
        lines: list[dict[str, str]] | None = None,
    ) -> None:
        self.method, self.total, self.currency, self.deadline = method, total, currency, deadline
        self.lines = lines

    @event("LinesRevised")
    def revise_lines(self, lines: list[dict[str, str]]) -> None:
        """A settled order's revised lines: what ships is valued by them, for the same total."""
        self.lines = lines

    @event("Notified")
    def note(
        self,
        notification_id: str,
        status: str,
        amount: Decimal,
        ref: str,
        reason: str,
        currency: str | None = None,  # None in notifications stored before it was kept
    ) -> None:
        self.notifications[notification_id] = {
            "status": status,
            "amount": str(amount),
            "ref": ref,
            "reason": reason,
            "currency": currency or self.currency or "",
        }

    @event("ShipmentMoved")
    def shipment_moved(self, status: str) -> None:
        """A shipment of unknown contents moved (or a cash on delivery one arrived)."""
        self.shipped = True  # delivered implies it was handed over first
        self.delivered = self.delivered or status == "delivered"

    @event("ShipmentLeft")
    def shipment_left(self, shipment_id: str, lines: dict[str, int]) -> None:
        """A held order's shipment left the warehouse carrying `lines` (quantity per SKU)."""
        self.shipments[shipment_id] = lines

    @event("ShipmentDelivered")
    def shipment_delivered(self, shipment_id: str, lines: dict[str, int]) -> None:
        """A cash on delivery order's shipment was delivered carrying `lines`: its cash taken."""
        self.deliveries[shipment_id] = lines

    @event("ShipmentSentBack")
    def shipment_sent_back(self, shipment_id: str, lines: dict[str, int], amount: Decimal) -> None:
        """A cash on delivery order's shipment came back undelivered: `amount` of the order
        will not be collected (unless the goods are sent again)."""
        self.sent_back[shipment_id] = lines
        self.uncollected[shipment_id] = amount

    @event("SentAgain")
    def sent_again(self, shipment_id: str, replaces: str) -> None:
        """`shipment_id` carries again the goods of `replaces`, which came back to sender.
        Recorded as the new parcel leaves (held) or comes to an end (cash on delivery): from
        then on what became of those goods is its story, so what the returned parcel left
        uncollected is no longer outstanding on its own account."""
        self.replaced[shipment_id] = replaces
        self.sent_back.pop(replaces, None)
        self.uncollected.pop(replaces, None)

    @event("Cancelled")
    def cancel(self, reason: str) -> None:
        self.cancelled = reason

    @event("Returned")
    def returned(self, return_id: str, amount: Decimal) -> None:
        self.returns[return_id] = amount

    @event("DeadlinePassed")
    def pass_deadline(self, deadline: datetime) -> None:
        self.deadline_passed = deadline

    @event("MethodChanged")
    def change_method(self, correction_id: str, method: str) -> None:
        self.method = method
        self.corrections.append(correction_id)

    @event("Decided")
    def record(
        self, outcome: str | None, captured: Decimal, refunded: Decimal, voided: bool, overdue: bool
    ) -> None:
        self.outcome, self.captured, self.refunded = outcome, captured, refunded
        self.voided, self.overdue = voided, overdue

    @event("Settled")
    def settle(self, outcome: str) -> None:
        """Kept so settlements stored before `Decided` existed still load."""
        self.outcome = outcome

    @property
    def mode(self) -> SettlementMode | None:
        return (
            None
            if self.method is None
            else SettlementMode(_LEGACY_MODES.get(self.method, self.method))
        )

    @property
    def known(self) -> bool:
        return self.method is not None

    @property
    def awaits_payment(self) -> bool:
        """A prepaid order not yet covered, nor cancelled: what a deadline applies to."""
        return (
            self.mode not in (None, SettlementMode.CASH_ON_DELIVERY)
            and self.outcome != "authorized"
            and self.cancelled is None
            and not self.overdue
        )

    @property
    def priced_lines(self) -> tuple[Line, ...]:
        """The order's lines at its prices (none for a settlement stored before they were)."""
        return tuple(
            Line(n["sku"], int(n["quantity"]), Decimal(n["unit_price"])) for n in self.lines or []
        )

    def facts(self) -> Facts:
        order = None
        if self.mode is not None and self.total is not None and self.currency is not None:
            order = Order(self.mode, self.total, self.currency, self.priced_lines)
        notes = {
            nid: Note(
                n["status"],
                Decimal(n["amount"]),
                n.get("currency") or self.currency or "",
                n["ref"],
                n["reason"],
            )
            for nid, n in self.notifications.items()
        }
        return Facts(
            self.order_id,
            order,
            notes,
            self.shipped,
            self.delivered,
            self.cancelled,
            self.returns,
            self.deadline_passed,
            self.shipments,
            self.deliveries,
        )

    def decided(self) -> Decided:
        return Decided(self.outcome, self.captured, self.refunded, self.voided, self.overdue)

    def apply(self, decided: Decided) -> None:
        if decided != self.decided():
            self.record(
                decided.outcome, decided.captured, decided.refunded, decided.voided, decided.overdue
            )


def announce(case: Settlement, because: str = "") -> list[ev.Event]:
    """What `policy.decide` makes of the facts recorded, announced once: kept as decided."""
    events, decided = decide(case.facts(), case.decided(), because)
    case.apply(decided)
    return events


# The log topics the deadline sweep follows: they carry each order's deadline.
DEADLINE_TOPICS = [get_topic(Settlement.Opened), get_topic(Settlement.OrderKnown)]  # type: ignore[attr-defined]
