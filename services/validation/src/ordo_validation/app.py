"""Wiring: the validation service's subscriptions come from its handlers; the rules API."""

from __future__ import annotations

import asyncio
from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, HTTPException, Request

from ordo_rules import RuleSetError
from ordo_runtime import Service, per_order
from ordo_runtime.auth import caller
from ordo_runtime.http import runtime_of
from ordo_validation.domain import OrderCheck
from ordo_validation.handlers import EVENT_HANDLERS
from ordo_validation.rules import RULEBOOK_ID, active, publish_rules

http = FastAPI(title="Ordo validation")
service = Service(
    "validation", handlers=EVENT_HANDLERS, http=http, prefetch=per_order(OrderCheck.create_id)
)
MAX_RULES_BYTES = 1_000_000


@http.get("/rules")
async def get_rules(request: Request) -> dict[str, Any]:
    """The rule set in force: its version and its YAML, verbatim."""
    rules = active(runtime_of(request).app)
    await asyncio.to_thread(rules.refresh)
    return {
        "version": rules.rules.version,
        "name": rules.rules.name,
        "published_by": rules.published_by,
        "text": rules.rules.text,
        "refused": rules.refused,
    }


@http.put("/rules")
async def put_rules(request: Request) -> dict[str, Any]:
    """Publish a new version: the body is the YAML; the publisher is the caller the token
    names. A broken file gets 422 with every problem's line and field, and the version in
    force stays in force."""
    published_by = caller(request).name
    body = await request.body()
    if len(body) > MAX_RULES_BYTES:
        raise HTTPException(413, f"a rule file is at most {MAX_RULES_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(422, "the rule file is not UTF-8 text") from None
    runtime = runtime_of(request)
    try:
        command = publish_rules(text, published_by)
    except RuleSetError as exc:
        detail = {"message": "the rule file was refused; the rules in force are unchanged"}
        errors = [{"line": e.line, "path": e.path, "message": e.message} for e in exc.errors]
        raise HTTPException(422, {**detail, "errors": errors}) from None
    for _ in range(3):  # another publisher may be writing the book at the same moment
        try:
            events = await runtime.execute(command)
            break
        except IntegrityError:
            runtime.app.forget([RULEBOOK_ID])
    else:
        raise HTTPException(409, "another rule set is being published; try again")
    response = await get_rules(request)
    return {**response, "published": bool(events)}
