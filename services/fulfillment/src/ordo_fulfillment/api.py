"""Fulfillment's HTTP face: public tracking, returns (RMA) and complaints.

/track is public (no authentication): what it shows is guarded by the postcode instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from ordo_events import events as ev
from ordo_fulfillment import returns
from ordo_fulfillment.collection import Collected, RecordCollection
from ordo_fulfillment.idempotency import KEY_PATTERN, KeyReusedError
from ordo_fulfillment.returns import (
    Approval,
    Complaint,
    Receipt,
    Rejection,
    ReturnRequest,
)
from ordo_fulfillment.tracking import NOT_FOUND, track
from ordo_runtime import UnitOfWork
from ordo_runtime.auth import TICKETS_ACT, caller, needs
from ordo_runtime.http import runtime_of
from ordo_runtime.masking import for_caller

router = APIRouter()
CONFLICT_RETRIES = 3
IdempotencyKey = Header(
    default=None,
    alias="Idempotency-Key",
    pattern=KEY_PATTERN,
    description="Retrying with the same key answers the first result and creates nothing new",
)


@router.get("/track/{order_number}", tags=["public"])
async def track_order(order_number: str, request: Request, postcode: str = "") -> Any:
    app = runtime_of(request).app
    found = await asyncio.to_thread(track, app, order_number, postcode)
    if found is None:
        # One body for an unknown order, a wrong postcode and none at all: no oracle.
        return JSONResponse({"detail": NOT_FOUND}, status_code=404)
    return found


async def run(
    request: Request, command: Callable[[UnitOfWork], Sequence[ev.Event]], cause: str | None
) -> list[ev.Event]:
    runtime = runtime_of(request)
    for _ in range(CONFLICT_RETRIES):  # the consumer may be writing the same order just now
        try:
            return await runtime.execute(command, cause_id=cause)
        except returns.NotFoundError as exc:
            raise HTTPException(404, str(exc)) from None
        except returns.RefusedError as exc:
            raise HTTPException(409, str(exc)) from None
        except KeyReusedError as exc:
            raise HTTPException(422, str(exc)) from None
        except IntegrityError:
            continue  # the next try reads the order afresh
    raise HTTPException(409, "the order is being changed right now; try again")


# Returns and complaints are customer service: managers, and operators for their markets.
# Whoever acts is the authenticated caller, never a name in the body.
@router.post("/orders/{order_id}/returns", status_code=201, openapi_extra=needs(TICKETS_ACT))
async def request_return(
    order_id: str,
    body: ReturnRequest,
    request: Request,
    response: Response,
    idempotency_key: str | None = IdempotencyKey,
) -> dict[str, Any]:
    who = caller(request)
    command = returns.RequestReturn(order_id, body, idempotency_key, who.name, who.sees)
    # Without a key a second request is a second return (the shipped quantities bound how
    # many there can be; concurrent ones meet on the return's number). With one, the events'
    # ids derive from it too.
    await run(request, command, keyed(f"{order_id}/returns", idempotency_key))
    mark_replay(response, command.replayed)
    return {"return_id": command.return_id, "order_id": order_id, "status": "requested"}


def keyed(route: str, key: str | None) -> str | None:
    return None if key is None else f"{route}/{key}"


def mark_replay(response: Response, replayed: bool) -> None:
    if replayed:  # the same answer as the first time, marked so a client can tell
        response.headers["Idempotent-Replayed"] = "true"


@router.post("/returns/{return_id}/approve", status_code=202, openapi_extra=needs(TICKETS_ACT))
async def approve_return(return_id: str, body: Approval, request: Request) -> dict[str, Any]:
    who = caller(request)
    decision = body.model_copy(update={"by": who.name})
    command = returns.DecideReturn(return_id, decision, who.sees)
    await run(request, command, f"return/{return_id}/decided")
    return {"return_id": return_id, "status": "approved"}


@router.post("/returns/{return_id}/reject", status_code=202, openapi_extra=needs(TICKETS_ACT))
async def reject_return(return_id: str, body: Rejection, request: Request) -> dict[str, Any]:
    who = caller(request)
    decision = body.model_copy(update={"by": who.name})
    command = returns.DecideReturn(return_id, decision, who.sees)
    await run(request, command, f"return/{return_id}/decided")
    return {"return_id": return_id, "status": "rejected"}


@router.post("/returns/{return_id}/received", status_code=202, openapi_extra=needs(TICKETS_ACT))
async def receive_return(return_id: str, body: Receipt, request: Request) -> dict[str, Any]:
    who = caller(request)
    receipt = body.model_copy(update={"by": who.name})
    command = returns.ReceiveReturn(return_id, receipt, who.sees)
    events = await run(request, command, f"return/{return_id}/received")
    received = events[0]
    assert isinstance(received, ev.ReturnReceived)
    return {
        "return_id": return_id,
        "status": "received",
        "refund": {"amount": str(received.amount), "currency": received.currency},
    }


@router.post("/orders/{order_id}/complaints", status_code=201, openapi_extra=needs(TICKETS_ACT))
async def file_complaint(
    order_id: str,
    body: Complaint,
    request: Request,
    response: Response,
    idempotency_key: str | None = IdempotencyKey,
) -> dict[str, Any]:
    who = caller(request)
    command = returns.FileComplaint(order_id, body, idempotency_key, who.name, who.sees)
    await run(request, command, keyed(f"{order_id}/complaints", idempotency_key))
    mark_replay(response, command.replayed)
    return {"complaint_id": command.complaint_id, "order_id": order_id}


@router.post(
    "/shipments/{shipment_id}/collected", status_code=201, openapi_extra=needs(TICKETS_ACT)
)
async def record_collection(shipment_id: str, body: Collected, request: Request) -> dict[str, Any]:
    """A pickup handed over at the counter, and to whom (managers and operators)."""
    who = caller(request)
    command = RecordCollection(shipment_id, body, who.name, who.sees)
    events = await run(request, command, f"shipment/{shipment_id}/collected")
    changed = events[0]
    assert isinstance(changed, ev.ShipmentStatusChanged)
    assert changed.collection is not None
    shown: dict[str, Any] = for_caller(
        request,
        {
            "shipment_id": shipment_id,
            "order_id": changed.order_id,
            "status": changed.status,
            "collection": changed.collection.model_dump(),
        },
    )
    return shown
