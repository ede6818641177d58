"""Ingestion's HTTP face: channels POST orders; operators read what was refused.

A valid order is only put on ordo.channel.orders here; the Kafka intake takes it from there,
so HTTP and Kafka orders share one idempotent path. A refused body is stored at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

from aiokafka.errors import KafkaError
from eventsourcing.persistence import IntegrityError, PersistenceError
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from ordo_events.topics import CHANNEL_ORDERS
from ordo_ingestion import queries
from ordo_ingestion.domain import Rejection
from ordo_ingestion.handlers import reject
from ordo_ingestion.intake import Refusal, read_order
from ordo_runtime.http import runtime_of

MAX_BODY = 1024 * 1024
# Beyond this a channel is better told to retry than kept waiting on a broker that is down.
SEND_TIMEOUT_S = 10.0

router = APIRouter()


@router.post(
    "/orders",
    status_code=202,
    summary="Submit an order as Ordo's canonical JSON",
    responses={
        400: {"description": "The body is not a JSON object"},
        413: {"description": "The body is larger than 1 MiB"},
        422: {"description": "The body is not a canonical order; the issues name the fields"},
        503: {"description": "The order could not be queued; retrying is safe"},
    },
)
async def submit_order(request: Request) -> JSONResponse:
    body = await _read_body(request)
    if body is None:
        return JSONResponse(
            {"error": f"The body is larger than {MAX_BODY} bytes (1 MiB).", "limit": MAX_BODY},
            status_code=413,
        )
    result = read_order(body)
    if isinstance(result, Refusal):
        return await _refuse(request, body, result)
    send = runtime_of(request).producer.send_and_wait(
        CHANNEL_ORDERS.name,
        body,
        key=result.order_id.encode(),
        headers=[("content-type", b"application/json")],
    )
    try:
        await asyncio.wait_for(send, SEND_TIMEOUT_S)
    except (KafkaError, TimeoutError, OSError) as exc:
        message = (
            f"The order could not be queued (Kafka is unavailable: {type(exc).__name__}). "
            "Send it again later; a re-sent order is taken only once."
        )
        return JSONResponse({"error": message, "order_id": result.order_id}, status_code=503)
    return JSONResponse({"order_id": result.order_id, "status": "accepted"}, status_code=202)


@router.get("/rejections", summary="Refused payloads, newest first")
async def list_rejections(
    request: Request, limit: int = Query(50, ge=1, le=500)
) -> dict[str, list[queries.RejectionView]]:
    app = runtime_of(request).app
    found = await asyncio.to_thread(queries.recent_rejections, app, limit)
    return {"rejections": found}


@router.get("/rejections/{rejection_id}", summary="One refused payload, with its raw text")
async def get_rejection(request: Request, rejection_id: uuid.UUID) -> queries.RejectionView:
    app = runtime_of(request).app
    found = await asyncio.to_thread(queries.rejection, app, rejection_id)
    if found is None:
        raise HTTPException(404, f"No rejection {rejection_id}.")
    return found


@router.get(
    "/orders/{order_id}/intake",
    summary="Whether ingestion has taken this order",
    responses={404: {"description": "Ingestion has not taken (or not yet processed) it"}},
)
async def get_intake(request: Request, order_id: str) -> queries.IntakeView:
    app = runtime_of(request).app
    found = await asyncio.to_thread(queries.intake, app, order_id)
    if not found.received:
        raise HTTPException(404, f"Ingestion has not taken order {order_id} (yet).")
    return found


async def _refuse(request: Request, body: bytes, refusal: Refusal) -> JSONResponse:
    # The cause is the body's hash: the same bad body sent again is the same rejection.
    cause = f"http:{hashlib.sha256(body).hexdigest()}"
    try:
        await runtime_of(request).execute(lambda uow: reject(uow, cause, refusal), cause)
    except IntegrityError:
        pass  # an identical body, sent at the same moment, stored the same rejection
    except PersistenceError as exc:
        message = f"The payload is invalid, and could not be stored ({exc}); send it again."
        return JSONResponse({"error": message, **_issues(refusal)}, status_code=503)
    content: dict[str, Any] = {
        "error": refusal.summary(),
        **_issues(refusal),
        "rejection_id": str(Rejection.create_id(cause)),
    }
    return JSONResponse(content, status_code=400 if refusal.malformed else 422)


def _issues(refusal: Refusal) -> dict[str, Any]:
    return {"issues": [issue.model_dump(mode="json") for issue in refusal.issues]}


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it is over MAX_BODY; read in chunks so a huge one is never held."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)
