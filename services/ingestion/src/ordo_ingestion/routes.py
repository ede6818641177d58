"""Ingestion's HTTP face: channels POST orders; readers see what was refused, masked as
`access` says.

A valid order is only put on ordo.channel.orders here; the Kafka intake takes it from there,
so HTTP and Kafka orders share one idempotent path. A refused body is stored at once.
"""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from ordo_events.topics import CHANNEL_ORDERS
from ordo_ingestion import access, queries
from ordo_ingestion.intake import Refusal, read_order
from ordo_ingestion.intake_http import (
    CANONICAL_BODY,
    body_cause,
    queue,
    read_body,
    refuse,
    too_large,
)
from ordo_runtime.http import runtime_of

ACCEPTED = {"status": "accepted"}

router = APIRouter()


@router.post(
    "/orders",
    status_code=202,
    summary="Submit an order as Ordo's canonical JSON",
    openapi_extra=CANONICAL_BODY,
    responses={
        400: {"description": "The body is not a JSON object"},
        413: {"description": "The body is larger than 1 MiB"},
        422: {"description": "The body is not a canonical order; the issues name the fields"},
        503: {"description": "The order could not be queued; retrying is safe"},
    },
)
async def submit_order(request: Request) -> JSONResponse:
    body, oversized = await read_body(request)
    if oversized:
        return await refuse(request, body_cause("too_large:", body), too_large(body, None), 413)
    result = read_order(body)
    if isinstance(result, Refusal):
        return await refuse(request, body_cause("", body), result)
    return await queue(request, CHANNEL_ORDERS.name, body, result.order_id, ACCEPTED)


# The paging of the log's lists (rejections, skips): newest first, older pages by cursor.
PageSize = Query(50, ge=1, le=500)
Before = Query(None, ge=1, description="The `next_before` of the previous page: only older ones")
OfChannel = Query(None, max_length=64, description="Only this channel's")


@router.get("/rejections", summary="Refused payloads, newest first, a page at a time")
async def list_rejections(
    request: Request,
    limit: int = PageSize,
    before: int | None = Before,
    channel: str | None = OfChannel,
) -> queries.RejectionPage:
    app, visible = runtime_of(request).app, access.rejection_filter(request)
    page = await asyncio.to_thread(queries.recent_rejections, app, limit, before, channel, visible)
    return page.model_copy(
        update={"rejections": [access.shown(request, view) for view in page.rejections]}
    )


@router.get("/skips", summary="Channel orders acknowledged but not taken yet, newest first")
async def list_skips(
    request: Request,
    limit: int = PageSize,
    before: int | None = Before,
    channel: str | None = OfChannel,
) -> queries.SkipPage:
    app = runtime_of(request).app
    return await asyncio.to_thread(queries.recent_skips, app, limit, before, channel)


@router.get("/rejections/{rejection_id}", summary="One refused payload, with its raw text")
async def get_rejection(request: Request, rejection_id: uuid.UUID) -> queries.RejectionView:
    app = runtime_of(request).app
    found = await asyncio.to_thread(queries.rejection, app, rejection_id)
    return access.rejection(request, found, f"No rejection {rejection_id}.")


@router.get(
    "/orders/{order_id}/intake",
    summary="Whether ingestion has taken this order",
    responses={404: {"description": "Ingestion has not taken (or not yet processed) it"}},
)
async def get_intake(request: Request, order_id: str) -> queries.IntakeView:
    app = runtime_of(request).app
    found = await asyncio.to_thread(queries.intake, app, order_id)
    missing = f"Ingestion has not taken order {order_id} (yet)."
    if not found.received:
        raise HTTPException(404, missing)
    access.order_market(request, found.market, missing)
    return found
