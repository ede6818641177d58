"""Ticketing's memory of an order: its current canonical order and the tickets opened for it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from eventsourcing.domain import Aggregate, event

from ordo_events.order import CanonicalOrder, Correction, corrected
from ordo_runtime.ids import stable_id

NAMESPACE = uuid.UUID("5d3c8a7e-2f41-4b6a-9c0e-7e1f2a3b4c5d")

# reason -> (stage where the order stopped, severity). A rejected intake, missing stock or a
# parcel that did not arrive keeps a customer waiting with nothing they can do, so they come first.
Severity = Literal["low", "normal", "high"]
REASONS: dict[str, tuple[str, Severity]] = {
    "validation_failed": ("validation", "normal"),
    "out_of_stock": ("inventory", "high"),
    "payment_declined": ("payment", "normal"),
    "order_rejected": ("intake", "high"),
    "payment_overdue": ("payment", "normal"),
    "complaint": ("after_sales", "normal"),
    "delivery_failed": ("delivery", "high"),
    # The goods are back and, for cash on delivery, the order will not be paid in full.
    "returned_to_sender": ("delivery", "high"),
    "order_stuck": ("", "normal"),
    # The warehouse works on one version while the channel shows the customer another.
    "revised_after_release": ("fulfillment", "high"),  # the stage is the one the order is stuck in
    # The customer asked to cancel, but the goods had left: they must hear it, and may return.
    "cancellation_refused": ("after_sales", "normal"),
    # Cancelled and paid back, yet the warehouse handed a withdrawn parcel to the carrier.
    "shipped_after_cancellation": ("fulfillment", "high"),
    # A returned parcel cannot be sent again: its units were sold or counted away since.
    "reship_short": ("inventory", "high"),
}
# The only reasons a cancelled order still gets a ticket for: what went wrong with it after.
AFTER_CANCELLATION = frozenset({"shipped_after_cancellation"})
# A ticket that still waits for an operator; resolved and cancelled are final.
LIVE = frozenset({"open", "assigned", "on_hold"})


def ticket_id_for(order_id: str, reason: str, cause: str) -> str:
    """The same failure always names the same ticket, so a redelivery cannot open a second."""
    return str(uuid.uuid5(NAMESPACE, f"ticket/{order_id}/{reason}/{cause}"))


class TicketRefusedError(Exception):
    """The ticket cannot change as asked; the message says why, for the operator."""


class Case(Aggregate):
    """One order as ticketing sees it. `order` is the order in force (as JSON): the latest
    version from the channel (received, or a revision the gate took) with the operator's
    corrections on top; `sent` is that version as the channel sent it."""

    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return stable_id(NAMESPACE, f"case/{order_id}")

    @event("Started")
    def __init__(self, order_id: str, order: dict[str, Any] | None = None):
        # Most cases start from OrderReceived: one event, not a start and then the order.
        self.order_id = order_id
        self.order: dict[str, Any] | None = order
        # None: not known (no order yet, or a revision taken before cases kept it).
        self.sent: dict[str, Any] | None = order
        self.tickets: dict[str, dict[str, Any]] = {}
        self.corrections: list[str] = []  # ids of the tickets whose correction is applied
        self.fixes: list[dict[str, Any]] = []  # those corrections, as the operators gave them
        self.cancelled = False
        # Asked of the release gate, which has not answered yet (OrderCancelled or refused).
        self.cancellation_requested = False
        self.revisions = 0  # channel revisions taken before release
        self.sequence = 0  # the accepted version of the order (OrderRevisionAccepted) held
        self.left: list[str] = []  # shipments whose goods left the warehouse
        # Shipments returned to sender (what the carrier said of them), and for cash on
        # delivery what payment says each left uncollected: a ticket needs both.
        self.sent_back: dict[str, dict[str, Any]] = {}
        self.uncollected: dict[str, dict[str, str]] = {}
        # Parcels returned to sender an operator asked to send again, by the returned
        # parcel's id: who asked, from which ticket, and how far it got (see reship.py).
        self.reships: dict[str, dict[str, Any]] = {}

    @event("ShipmentLeft")
    def shipment_left(self, shipment_id: str) -> None:
        self.left.append(shipment_id)

    @event("ShipmentSentBack")
    def shipment_sent_back(self, shipment_id: str, facts: dict[str, Any]) -> None:
        self.sent_back[shipment_id] = facts

    def out_there(self) -> list[str]:
        """The shipments whose goods are with the carrier or the customer: those that left
        and did not come back."""
        return [s for s in self.left if s not in self.sent_back]

    @event("ReshipAsked")
    def ask_reship(
        self, shipment_id: str, ticket_id: str, requested_by: str, address: dict[str, Any] | None
    ) -> None:
        before = self.reships.get(shipment_id, {})
        self.reships[shipment_id] = {
            "ticket_id": ticket_id,
            "requested_by": requested_by,
            "address": address,
            "status": "requested",
            "attempts": before.get("attempts", 0) + 1,
            "replaced_by": None,
        }

    @event("ReshipShort")
    def reship_short(self, shipment_id: str) -> None:
        self.reships[shipment_id] = {**self.reships[shipment_id], "status": "short"}

    @event("Reshipped")
    def reshipped(self, shipment_id: str, replaced_by: str) -> None:
        # A plan the case holds no request for (never expected: ticketing asks first) is
        # settled all the same: the parcel went out again.
        before = self.reships.get(shipment_id) or {
            "ticket_id": None,
            "requested_by": None,
            "address": None,
            "attempts": 0,
        }
        self.reships[shipment_id] = {**before, "status": "planned", "replaced_by": replaced_by}

    @event("CashNotCollected")
    def cash_not_collected(self, shipment_id: str, amount: str, currency: str) -> None:
        self.uncollected[shipment_id] = {"amount": amount, "currency": currency}

    @event("OrderLearned")
    def learn_order(self, order: dict[str, Any]) -> None:
        self.order = order
        self.sent = order

    @event("OrderRevised")
    def revise_order(
        self, order: dict[str, Any], sequence: int = 0, sent: dict[str, Any] | None = None
    ) -> None:
        self.order = order
        self.sent = sent
        self.revisions += 1
        # Revisions stored before their version was kept: their count is the best guess.
        self.sequence = sequence or self.revisions

    @event("CorrectionApplied")
    def apply_correction(
        self, ticket_id: str, order: dict[str, Any], correction: dict[str, Any] | None = None
    ) -> None:
        self.order = order
        self.corrections.append(ticket_id)
        if correction is not None:
            self.fixes.append(correction)

    @event("TicketOpened")
    def open_ticket(
        self,
        ticket_id: str,
        reason: str,
        stage: str,
        severity: str,
        instructions: str,
        issues: list[dict[str, Any]],
        opened_at: datetime,
        sla_due: datetime | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.tickets[ticket_id] = {
            "ticket_id": ticket_id,
            "order_id": self.order_id,
            "reason": reason,
            "stage": stage,
            "severity": severity,
            "status": "open",
            "assignee": None,
            "instructions": instructions,
            "issues": issues,
            "details": details or {},
            "opened_at": opened_at,
            "sla_due": sla_due,
            "resolved_at": None,
            "resolved_by": None,
            "resolution": None,
            "correction": None,
        }

    @event("TicketAssigned")
    def assign_ticket(self, ticket_id: str, assignee: str) -> None:
        ticket = self.tickets[ticket_id]
        status = "on_hold" if ticket["status"] == "on_hold" else "assigned"
        self.tickets[ticket_id] = {**ticket, "assignee": assignee, "status": status}

    @event("TicketHeld")
    def hold_ticket(self, ticket_id: str) -> None:
        self.tickets[ticket_id] = {**self.tickets[ticket_id], "status": "on_hold"}

    @event("TicketReleased")
    def release_ticket(self, ticket_id: str) -> None:
        ticket = self.tickets[ticket_id]
        status = "open" if ticket["assignee"] is None else "assigned"
        self.tickets[ticket_id] = {**ticket, "status": status}

    @event("TicketCancelled")
    def cancel_ticket(self, ticket_id: str) -> None:
        self.tickets[ticket_id] = {**self.tickets[ticket_id], "status": "cancelled"}

    @event("CancellationRequested")
    def request_cancellation(self, reason: str, by: str) -> None:
        self.cancellation_requested = True

    @event("CancellationRefused")
    def refuse_cancellation(self) -> None:
        self.cancellation_requested = False

    @event("OrderCancelled")
    def cancel_order(self) -> None:
        self.cancelled = True
        self.cancellation_requested = False

    @event("TicketResolved")
    def resolve_ticket(
        self,
        ticket_id: str,
        resolved_by: str,
        resolution: str,
        resolved_at: datetime,
        correction: dict[str, Any] | None,
        order: dict[str, Any] | None,
    ) -> None:
        self.tickets[ticket_id] = {
            **self.tickets[ticket_id],
            "status": "resolved",
            "resolved_by": resolved_by,
            "resolution": resolution,
            "resolved_at": resolved_at,
            "correction": correction,
        }
        if order is not None:
            self.order = order
            self.corrections.append(ticket_id)
            if correction is not None:
                self.fixes.append(correction)

    @property
    def current_order(self) -> CanonicalOrder | None:
        return None if self.order is None else CanonicalOrder.model_validate(self.order)

    @property
    def channel_order(self) -> CanonicalOrder | None:
        """The latest version as the channel sent it, if known."""
        return None if self.sent is None else CanonicalOrder.model_validate(self.sent)

    def in_force(self, sent: CanonicalOrder) -> CanonicalOrder:
        """A version the channel sent, with the operator's corrections on top."""
        return corrected(sent, [Correction.model_validate(f) for f in self.fixes])

    @property
    def generation(self) -> int:
        """How many corrections and revisions the order has had: a failure after either is a
        new one."""
        return len(self.corrections) + self.revisions

    def open_ticket_for(self, reason: str, subject: str | None = None) -> str | None:
        """The live ticket for this reason (and subject: a shipment, a complaint), if any."""
        for ticket in self.tickets.values():
            if (
                ticket["reason"] == reason
                and ticket["status"] in LIVE
                and ticket.get("details", {}).get("subject") == subject
            ):
                return str(ticket["ticket_id"])
        return None

    def live_tickets(self) -> list[str]:
        return [tid for tid, t in self.tickets.items() if t["status"] in LIVE]

    def ticket(self, ticket_id: str, *, live: bool = True) -> dict[str, Any]:
        """The ticket, refusing (when `live`) one that is already resolved or cancelled."""
        ticket = self.tickets[ticket_id]
        if live and ticket["status"] == "resolved":
            raise TicketRefusedError(
                f"ticket {ticket_id} was already resolved by {ticket['resolved_by']}"
                f" at {ticket['resolved_at']:%Y-%m-%d %H:%M} UTC: {ticket['resolution']}"
            )
        if live and ticket["status"] == "cancelled":
            raise TicketRefusedError(f"ticket {ticket_id} was cancelled with its order")
        return ticket


class TicketRef(Aggregate):
    """Finds a ticket's order from the ticket id alone, which is all a resolve request has."""

    @staticmethod
    def create_id(ticket_id: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"ticket-ref/{ticket_id}")

    @event("Registered")
    def __init__(self, ticket_id: str, order_id: str):
        self.ticket_id = ticket_id
        self.order_id = order_id
