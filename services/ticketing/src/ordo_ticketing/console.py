"""The operator console: server-rendered HTML (jinja2) and a little vanilla JS, no build step.

/console is a shell with no data in it; the queue and a ticket's detail are HTML fragments the
page fetches with the operator's headers (a bearer token kept in localStorage, and the
operator's name), so the console asks for data exactly as any API client does. Actions post
JSON to the API routes. Every piece is in the operator's language (`?lang=`, else the
browser's), labels (console_text) as well as a ticket's instructions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from ordo_runtime.http import runtime_of
from ordo_ticketing import access, queries
from ordo_ticketing.api import language
from ordo_ticketing.console_text import translator
from ordo_ticketing.domain import REASONS
from ordo_ticketing.instructions import LANGUAGES
from ordo_ticketing.queue import QueueFilter, queue

router = APIRouter(prefix="/console", tags=["console"])
STATUSES = ("live", "open", "assigned", "on_hold", "resolved", "cancelled", "retried")


@cache
def html() -> Environment:
    return Environment(
        loader=PackageLoader("ordo_ticketing", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )


def page(name: str, lang: str, **context: object) -> HTMLResponse:
    template = html().get_template(f"console/{name}")
    return HTMLResponse(template.render(_=translator(lang), lang=lang, **context))


@router.get("", response_class=HTMLResponse)
async def console_page(lang: Annotated[str, Depends(language)]) -> HTMLResponse:
    reasons = [*REASONS, "dead_letter"]
    return page("page.html.j2", lang, statuses=STATUSES, reasons=reasons, languages=LANGUAGES)


@router.get("/queue", response_class=HTMLResponse)
async def queue_fragment(
    request: Request,
    f: Annotated[QueueFilter, Query()],
    lang: Annotated[str, Depends(language)],
) -> HTMLResponse:
    scope, pool = access.markets(request), runtime_of(request).pool
    found = await queue(pool, access.queue_filter(request, f), datetime.now(UTC), scope)
    return page("queue.html.j2", lang, q=await access.queue(request, pool, found), f=f)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_fragment(
    ticket_id: str, request: Request, lang: Annotated[str, Depends(language)]
) -> HTMLResponse:
    found = access.ticket(
        request,
        await queries.ticket_detail(runtime_of(request).pool, ticket_id, lang),
        f"no ticket {ticket_id}",
    )
    return page("ticket.html.j2", lang, t=found, state=found["order_state"])
