"""What both HTTP intakes (canonical and per channel) do with a body: read it within the size
limit, store a refusal at once and answer naming the problem, or queue an order on Kafka."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from aiokafka.errors import KafkaError
from eventsourcing.persistence import IntegrityError, PersistenceError
from fastapi import Request
from fastapi.responses import JSONResponse

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder
from ordo_ingestion.domain import Rejection
from ordo_ingestion.handlers import reject
from ordo_ingestion.intake import Refusal, text_of
from ordo_runtime.http import runtime_of

MAX_BODY = 1024 * 1024
# What is kept of a body over the limit: enough for an operator to see what it was.
KEPT_OF_OVERSIZED = 4096
# Beyond this a channel is better told to retry than kept waiting on a broker that is down.
SEND_TIMEOUT_S = 10.0


async def read_body(request: Request) -> tuple[bytes, bool]:
    """The body and False; or, when it is over MAX_BODY, what was read of it and True. Read
    in chunks, so a huge body is never held whole."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return b"", True
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return bytes(body[:KEPT_OF_OVERSIZED]), True
    return bytes(body), False


def too_large(kept: bytes, channel: str | None) -> Refusal:
    message = f"The body is larger than {MAX_BODY} bytes (1 MiB); send one order per request."
    raw = text_of(kept) + (f"... (cut at {len(kept)} bytes)" if kept else "")
    return Refusal(raw, [Issue(code="body.too_large", message=message)], channel=channel)


async def refuse(
    request: Request, cause: str, refusal: Refusal, status: int | None = None
) -> JSONResponse:
    """Store the refusal (once per cause) and answer with its issues and where it is kept."""
    try:
        await runtime_of(request).execute(lambda uow: reject(uow, cause, refusal), cause)
    except IntegrityError:
        pass  # an identical body, sent at the same moment, stored the same rejection
    except PersistenceError as exc:
        message = f"The payload is invalid, and could not be stored ({exc}); send it again."
        return JSONResponse({"error": message, **issues(refusal)}, status_code=503)
    content: dict[str, Any] = {
        "error": refusal.summary(),
        **issues(refusal),
        "rejection_id": str(Rejection.create_id(cause)),
    }
    return JSONResponse(content, status_code=status or (400 if refusal.malformed else 422))


def body_cause(kind: str, body: bytes) -> str:
    # The body's hash: the same bad body sent again is the same rejection.
    return f"http:{kind}{hashlib.sha256(body).hexdigest()}"


def issues(refusal: Refusal) -> dict[str, Any]:
    return {"issues": [issue.model_dump(mode="json") for issue in refusal.issues]}


async def queue(
    request: Request, topic: str, body: bytes, order_id: str, answer: dict[str, Any]
) -> JSONResponse:
    """Put the body on the intake topic; the Kafka intake decides. 202, or 503 to retry."""
    send = runtime_of(request).producer.send_and_wait(
        topic, body, key=order_id.encode(), headers=[("content-type", b"application/json")]
    )
    try:
        await asyncio.wait_for(send, SEND_TIMEOUT_S)
    except (KafkaError, TimeoutError, OSError) as exc:
        message = (
            f"The order could not be queued (Kafka is unavailable: {type(exc).__name__}). "
            "Send it again later; a re-sent order is taken only once."
        )
        return JSONResponse({"error": message, "order_id": order_id}, status_code=503)
    return JSONResponse({"order_id": order_id, **answer}, status_code=202)


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    # The routes read the raw body themselves (to hash and keep it whole); this only tells the
    # OpenAPI document, and so clients and fuzzers, what the body should be.
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The model's schema with its $defs written in place: "#/$defs/..." would be resolved
    against the whole OpenAPI document, not this schema."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return dict(walk(schema))


CANONICAL_BODY = _json_body(_inlined(CanonicalOrder.model_json_schema()))
ANY_ORDER_BODY = _json_body(
    {"type": "object", "description": "One order in the channel's own JSON"}
)
