"""`ordo order show`: one order's status and timeline, from the ticketing service."""

from __future__ import annotations

from typing import Any

import httpx
from rich.console import Group
from rich.table import Table
from rich.text import Text


class OrderNotFound(LookupError):
    pass


def fetch_order(api: str, order_id: str) -> dict[str, Any]:
    response = httpx.get(f"{api}/orders/{order_id}", timeout=10.0)
    if response.status_code == 404:
        raise OrderNotFound(order_id)
    response.raise_for_status()
    doc: dict[str, Any] = response.json()
    return doc


def render_order(doc: dict[str, Any]) -> Group:
    order = doc.get("order") or {}
    facts = Table(show_header=False, box=None)
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("order", str(doc.get("order_id")))
    facts.add_row("status", Text(str(doc.get("status")), style=_status_style(doc.get("status"))))
    if order:
        facts.add_row("channel", f"{order.get('channel')} / {order.get('external_id')}")
        delivery = order.get("delivery") or {}
        facts.add_row("delivery", str(delivery.get("method")))
        facts.add_row(
            "payment", f"{(order.get('payment') or {}).get('method')}: {doc.get('payment')}"
        )
    facts.add_row("validated / reserved", f"{doc.get('validated')} / {doc.get('reserved')}")
    facts.add_row("released", str(doc.get("released")))
    tickets = doc.get("open_tickets") or []
    facts.add_row("open tickets", ", ".join(tickets) if tickets else "none")

    timeline = Table(title="Timeline", title_justify="left")
    for column in ("time", "event", "source", "summary"):
        timeline.add_column(column)
    for entry in doc.get("timeline") or []:
        timeline.add_row(
            str(entry.get("time", "")),
            str(entry.get("type", "")),
            str(entry.get("source", "")),
            str(entry.get("summary", "")),
        )
    return Group(facts, timeline)


def _status_style(status: object) -> str:
    return {
        "ready_for_fulfillment": "green",
        "needs_attention": "yellow",
        "rejected": "red",
    }.get(str(status), "")
