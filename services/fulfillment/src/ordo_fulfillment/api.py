"""Fulfillment's HTTP face: public tracking, returns (RMA) and complaints.

/track is public (no authentication): what it shows is guarded by the postcode instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from ordo_events import events as ev
from ordo_fulfillment import returns
from ordo_fulfillment.returns import (
    Approval,
    Complaint,
    Receipt,
    Rejection,
    ReturnRequest,
)
from ordo_fulfillment.tracking import NOT_FOUND, track
from ordo_runtime import UnitOfWork
from ordo_runtime.http import runtime_of

router = APIRouter()
CONFLICT_RETRIES = 3


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
        except IntegrityError:
            continue  # the next try reads the order afresh
    raise HTTPException(409, "the order is being changed right now; try again")


@router.post("/orders/{order_id}/returns", status_code=201)
async def request_return(order_id: str, body: ReturnRequest, request: Request) -> dict[str, Any]:
    command = returns.RequestReturn(order_id, body)
    # No cause to derive ids from: a second request is a second return, and the shipped
    # quantities bound how many there can be; concurrent ones meet on the return's number.
    await run(request, command, None)
    return {"return_id": command.return_id, "order_id": order_id, "status": "requested"}


@router.post("/returns/{return_id}/approve", status_code=202)
async def approve_return(return_id: str, body: Approval, request: Request) -> dict[str, Any]:
    await run(request, returns.DecideReturn(return_id, body), f"return/{return_id}/decided")
    return {"return_id": return_id, "status": "approved"}


@router.post("/returns/{return_id}/reject", status_code=202)
async def reject_return(return_id: str, body: Rejection, request: Request) -> dict[str, Any]:
    await run(request, returns.DecideReturn(return_id, body), f"return/{return_id}/decided")
    return {"return_id": return_id, "status": "rejected"}


@router.post("/returns/{return_id}/received", status_code=202)
async def receive_return(return_id: str, body: Receipt, request: Request) -> dict[str, Any]:
    events = await run(
        request, returns.ReceiveReturn(return_id, body), f"return/{return_id}/received"
    )
    received = events[0]
    assert isinstance(received, ev.ReturnReceived)
    return {
        "return_id": return_id,
        "status": "received",
        "refund": {"amount": str(received.amount), "currency": received.currency},
    }


@router.post("/orders/{order_id}/complaints", status_code=201)
async def file_complaint(order_id: str, body: Complaint, request: Request) -> dict[str, Any]:
    command = returns.FileComplaint(order_id, body)
    await run(request, command, None)
    return {"complaint_id": command.complaint_id, "order_id": order_id}
