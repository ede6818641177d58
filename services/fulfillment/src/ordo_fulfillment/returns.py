"""Returns (RMA) and complaints: the commands behind the HTTP routes, and their rules.

A return may ask back only what left the warehouse (a shipment handed to the carrier or
later) and did not come back undelivered (returned to sender: it is on the shelf again), no
more than was shipped minus what other returns already claim (a rejected return
claims nothing). Requested -> approved or rejected; approved -> received, which states the
refund: the returned quantities at the order's unit prices.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from ordo_events import events as ev
from ordo_fulfillment.domain import NAMESPACE, Ref, ReleaseGate
from ordo_fulfillment.idempotency import fingerprint, replayed
from ordo_runtime import UnitOfWork

# Who acts is the authenticated caller (the API fills it in); a request entered on someone's
# behalf names them, e.g. "customer", and is recorded as entered by the caller.
By = Field(default="", description="Ignored: the caller's login is recorded")
OnBehalfOf = Field(
    default=None, min_length=1, description="Whom the caller enters it for, e.g. 'customer'"
)


class ReturnLine(BaseModel):
    sku: str = Field(min_length=1)
    quantity: int = Field(gt=0)


class ReturnRequest(BaseModel):
    lines: list[ReturnLine] = Field(min_length=1)
    reason: str = Field(min_length=1)
    by: str | None = OnBehalfOf


class Approval(BaseModel):
    by: str = By


class Rejection(BaseModel):
    by: str = By
    reason: str = Field(min_length=1, description="Why, as the customer will be told")


class Receipt(BaseModel):
    by: str = By


class Complaint(BaseModel):
    message: str = Field(min_length=1)
    by: str | None = OnBehalfOf


class NotFoundError(LookupError):
    pass


class RefusedError(Exception):
    """The request breaks a rule; the message says which, for the person asking."""


def shipped(gate: ReleaseGate) -> Counter[str]:
    out: Counter[str] = Counter()
    for shipment in gate.shipments.values():
        status = shipment["status"]
        if status in ev.LEFT_WAREHOUSE and status != "returned_to_sender":
            out.update(shipment["lines"])
    return out


def claimed(gate: ReleaseGate) -> Counter[str]:
    out: Counter[str] = Counter()
    for rma in gate.returns.values():
        if rma["status"] != "rejected":
            out.update(rma["lines"])
    return out


def return_problems(gate: ReleaseGate, wanted: Counter[str]) -> list[str]:
    sent, taken = shipped(gate), claimed(gate)
    problems = []
    for sku, quantity in wanted.items():
        if not sent[sku]:
            problems.append(f"{sku}: nothing of it has been shipped in this order")
        elif quantity > sent[sku] - taken[sku]:
            problems.append(
                f"{sku}: {quantity} asked back, but {sent[sku]} shipped and"
                f" {taken[sku]} already in other returns"
            )
    return problems


def origin(gate: ReleaseGate, sku: str) -> str:
    """The warehouse a returned SKU goes back to: the first that shipped it."""
    return next((s["warehouse"] for s in gate.shipments.values() if sku in s["lines"]), "main")


Sees = Callable[[str | None], bool]


def everywhere(_market: str | None) -> bool:
    return True


def _visible(gate: ReleaseGate | None, sees: Sees) -> ReleaseGate | None:
    # Another market's order answers as a missing one: nothing learnt of it.
    if gate is None or not sees(gate.shipping.market if gate.shipping else None):
        return None
    return gate


def gate_of(uow: UnitOfWork, order_id: str, sees: Sees = everywhere) -> ReleaseGate:
    gate = _visible(uow.get(ReleaseGate, ReleaseGate.create_id(order_id)), sees)
    if gate is None:
        raise NotFoundError(f"no order {order_id} in fulfilment")
    return gate


def gate_of_return(
    uow: UnitOfWork, return_id: str, sees: Sees = everywhere
) -> tuple[ReleaseGate, dict[str, object]]:
    ref = uow.get(Ref, Ref.create_id("return", return_id))
    gate = None if ref is None else uow.get(ReleaseGate, ReleaseGate.create_id(ref.order_id))
    gate = _visible(gate, sees)
    if gate is None or return_id not in gate.returns:
        raise NotFoundError(f"no return {return_id}")
    return gate, gate.returns[return_id]


def entered_by(on_behalf_of: str | None, caller: str) -> str:
    """Who a request is recorded as coming from: the caller, and whom they entered it for."""
    if not on_behalf_of or on_behalf_of == caller:
        return caller
    if not caller:  # a command run with no caller (in-process, tests): the name given
        return on_behalf_of
    return f"{on_behalf_of} (entered by {caller})"


class RequestReturn:
    def __init__(
        self,
        order_id: str,
        body: ReturnRequest,
        key: str | None = None,
        caller: str = "",
        sees: Sees = everywhere,
    ):
        self.order_id, self.body, self.key = order_id, body, key
        self.by, self.sees = entered_by(body.by, caller), sees
        self.return_id = ""
        self.replayed = False  # the key's first request created it: nothing new now

    def __call__(self, uow: UnitOfWork) -> Sequence[ev.Event]:
        gate = gate_of(uow, self.order_id, self.sees)
        # Before the rules: the first request's quantities are claimed now, so a retry would
        # be refused instead of answered.
        first = replayed(gate, "return", self.key, self.body)
        if first is not None:
            self.return_id, self.replayed = first, True
            return []
        wanted: Counter[str] = Counter()
        for line in self.body.lines:
            wanted[line.sku] += line.quantity
        problems = return_problems(gate, wanted)
        if problems:
            raise RefusedError("; ".join(problems))
        number = len(gate.returns) + 1
        self.return_id = str(uuid.uuid5(NAMESPACE, f"{self.order_id}/return/{number}"))
        gate.request_return(
            self.return_id,
            dict(wanted),
            self.body.reason,
            self.by,
            datetime.now(UTC),
            self.key,
            None if self.key is None else fingerprint(self.body),
        )
        uow.add(Ref("return", self.return_id, self.order_id, self.return_id))
        lines = [
            ev.ReservedLine(sku=sku, quantity=qty, warehouse=origin(gate, sku))
            for sku, qty in wanted.items()
        ]
        return [
            ev.ReturnRequested(
                order_id=self.order_id,
                return_id=self.return_id,
                lines=lines,
                reason=self.body.reason,
            )
        ]


class DecideReturn:
    def __init__(self, return_id: str, decision: Approval | Rejection, sees: Sees = everywhere):
        self.return_id, self.decision, self.sees = return_id, decision, sees

    def __call__(self, uow: UnitOfWork) -> Sequence[ev.Event]:
        gate, rma = gate_of_return(uow, self.return_id, self.sees)
        if rma["status"] != "requested":
            raise RefusedError(f"return {self.return_id} is {rma['status']} already")
        by = self.decision.by
        if isinstance(self.decision, Rejection):
            gate.decide_return(self.return_id, "rejected", by, self.decision.reason)
            reason = self.decision.reason
            return [
                ev.ReturnRejected(
                    order_id=gate.order_id, return_id=self.return_id, rejected_by=by, reason=reason
                )
            ]
        gate.decide_return(self.return_id, "approved", by, None)
        return [ev.ReturnApproved(order_id=gate.order_id, return_id=self.return_id, approved_by=by)]


class ReceiveReturn:
    def __init__(self, return_id: str, receipt: Receipt, sees: Sees = everywhere):
        self.return_id, self.receipt, self.sees = return_id, receipt, sees

    def __call__(self, uow: UnitOfWork) -> Sequence[ev.Event]:
        gate, rma = gate_of_return(uow, self.return_id, self.sees)
        if rma["status"] != "approved":
            raise RefusedError(
                f"return {self.return_id} is {rma['status']}: only an approved return is received"
            )
        gate.receive_return(self.return_id, self.receipt.by, datetime.now(UTC))
        shipping = gate.shipping
        lines: dict[str, int] = dict(rma["lines"])  # type: ignore[call-overload]
        amount = Decimal("0")
        if shipping is not None:  # None only for gates stored before orders were kept
            amount = sum((shipping.unit_price(s) * q for s, q in lines.items()), amount)
        return [
            ev.ReturnReceived(
                order_id=gate.order_id,
                return_id=self.return_id,
                lines=[
                    ev.ReservedLine(sku=sku, quantity=qty, warehouse=origin(gate, sku))
                    for sku, qty in lines.items()
                ],
                amount=amount,
                currency=shipping.currency if shipping else "PLN",
            )
        ]


class FileComplaint:
    def __init__(
        self,
        order_id: str,
        body: Complaint,
        key: str | None = None,
        caller: str = "",
        sees: Sees = everywhere,
    ):
        self.order_id, self.body, self.key = order_id, body, key
        self.by, self.sees = entered_by(body.by, caller), sees
        self.complaint_id = ""
        self.replayed = False

    def __call__(self, uow: UnitOfWork) -> Sequence[ev.Event]:
        gate = gate_of(uow, self.order_id, self.sees)
        first = replayed(gate, "complaint", self.key, self.body)
        if first is not None:
            self.complaint_id, self.replayed = first, True
            return []
        number = gate.complaints + 1
        self.complaint_id = str(uuid.uuid5(NAMESPACE, f"{self.order_id}/complaint/{number}"))
        printed = None if self.key is None else fingerprint(self.body)
        gate.file_complaint(self.complaint_id, self.by, self.key, printed)
        return [
            ev.ComplaintFiled(
                order_id=self.order_id,
                complaint_id=self.complaint_id,
                message=self.body.message,
                filed_by=self.by,
            )
        ]
