"""`ordo order show`: one order's status, open tickets and timeline, from the ticketing service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

STATUS_STYLE = {"ready_for_fulfillment": "green", "needs_attention": "yellow", "rejected": "red"}


class OrderNotFound(LookupError):
    pass


def fetch_order(api: str, order_id: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{api}/orders/{order_id}", timeout=10.0, headers=headers)
    if response.status_code == 404:
        raise OrderNotFound(order_id)
    response.raise_for_status()
    doc: dict[str, Any] = response.json()
    return doc


def render_order(doc: dict[str, Any]) -> Group:
    parts: list[RenderableType] = [_facts(doc)]
    tickets = doc.get("open_tickets") or []
    if tickets:
        parts.append(_tickets(tickets))
    parts.append(_timeline(doc.get("timeline") or []))
    return Group(*parts)


def _facts(doc: dict[str, Any]) -> Table:
    order = doc.get("order") or {}
    facts = Table(show_header=False, box=None)
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    status = str(doc.get("status"))
    facts.add_row("order", str(doc.get("order_id")))
    facts.add_row("status", Text(status, style=STATUS_STYLE.get(status, "")))
    if order:
        customer = order.get("customer") or {}
        facts.add_row("channel", f"{order.get('channel')} / {order.get('external_id')}")
        facts.add_row("customer", f"{customer.get('name')}, {customer.get('phone') or 'no phone'}")
        facts.add_row("delivery", str((order.get("delivery") or {}).get("method")))
        payment = (order.get("payment") or {}).get("method")
        facts.add_row("payment", f"{payment}: {doc.get('payment')}")
    facts.add_row("validated / reserved", f"{doc.get('validated')} / {doc.get('reserved')}")
    facts.add_row("released", str(doc.get("released")))
    return facts


def _tickets(tickets: list[Any]) -> Table:
    # Ticket ids only, or whole tickets with their instructions: show what we were given.
    table = Table(title="Open tickets", title_justify="left", show_lines=True)
    for column in ("ticket", "reason", "stage", "instructions"):
        table.add_column(column, overflow="fold")
    for ticket in tickets:
        if isinstance(ticket, dict):
            table.add_row(
                str(ticket.get("ticket_id")),
                str(ticket.get("reason", "")),
                str(ticket.get("stage", "")),
                str(ticket.get("instructions", "")).strip(),
            )
        else:
            table.add_row(str(ticket), "", "", "")
    return table


def _timeline(entries: list[dict[str, Any]]) -> Table:
    table = Table(title="Timeline", title_justify="left")
    table.add_column("time", no_wrap=True)
    table.add_column("event", no_wrap=True)
    table.add_column("source", no_wrap=True)
    table.add_column("summary")
    for entry in entries:
        table.add_row(
            _time(entry.get("time")),
            str(entry.get("type", "")),
            str(entry.get("source", "")),
            str(entry.get("summary", "")),
        )
    return table


def _time(text: object) -> str:
    try:
        return datetime.fromisoformat(str(text)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    except ValueError:
        return str(text)
