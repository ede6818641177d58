"""Validation's per-order record of verdicts. What it checks is data: see ordo_rules and
rules.py (the rule set in force)."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event

from ordo_events.order import CanonicalOrder, Correction, corrected
from ordo_runtime.ids import stable_id

NAMESPACE = uuid.UUID("a4b0c6f1-3b9e-4d7e-8f7c-1c2d3e4f5a60")


class OrderCheck(Aggregate):
    """Validation's memory of one order: its verdicts, the corrections already
    re-checked and the version of the order (see OrderRevisionAccepted) last judged."""

    @staticmethod
    def create_id(order_id: str) -> uuid.UUID:
        return stable_id(NAMESPACE, order_id)

    @event("Checked")
    def __init__(
        self,
        order_id: str,
        codes: list[str],
        sequence: int = 0,
        sent: dict[str, Any] | None = None,
        fix: dict[str, Any] | None = None,
    ):
        self.order_id = order_id
        self.codes = codes
        self.attempts = 1
        self.corrections: list[str] = []
        self.sequence = sequence  # the accepted version of the order last judged
        # That version as the channel sent it (None: as received, which is not kept), and the
        # operator's corrections: what a correction built on an older version applies to.
        self.sent = sent
        self.fixes: list[dict[str, Any]] = [] if fix is None else [fix]

    @event("Rechecked")
    def recheck(
        self, correction_id: str, codes: list[str], fix: dict[str, Any] | None = None
    ) -> None:
        self.codes = codes
        self.attempts += 1
        self.corrections.append(correction_id)
        if fix is not None:
            self.fixes.append(fix)

    @event("Revised")
    def revise(self, sequence: int, codes: list[str], sent: dict[str, Any] | None = None) -> None:
        self.codes = codes
        self.attempts += 1
        self.sequence = sequence
        if sent is not None:
            self.sent = sent

    def in_force(self, revision: CanonicalOrder, more: Correction | None = None) -> CanonicalOrder:
        """`revision` with the operator's corrections (and `more`) set on top."""
        fixes = [Correction.model_validate(f) for f in self.fixes]
        return corrected(revision, fixes if more is None else [*fixes, more])

    @property
    def passed(self) -> bool:
        return not self.codes
