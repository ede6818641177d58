"""The operator's queue: business tickets and technical failures (dead letters) side by side,
filtered, sorted and counted in the database."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, Field

# Dead letters wear the tickets' shape, so one query filters and sorts both.
ITEMS = """
SELECT 'ticket' AS kind, ticket_id AS id, order_id, reason, stage, severity, status, assignee,
       channel, market, opened_at, sla_due, COALESCE(issues->0->>'message', '') AS summary
FROM tickets
UNION ALL
SELECT 'dead_letter', id, subject, 'dead_letter', service, 'high',
       CASE WHEN retries > 0 THEN 'retried' ELSE 'open' END, retried_by,
       NULL, NULL, received_at, NULL, reason
FROM dead_letters
"""
LIVE = ("open", "assigned", "on_hold")
SEVERITY_RANK = "CASE severity WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END"
SORTS = {
    "age": "opened_at",
    "sla_due": "sla_due",
    "severity": SEVERITY_RANK,
    "status": "status",
    "reason": "reason",
}
Kind = Literal["ticket", "dead_letter"]


class QueueFilter(BaseModel):
    """What the operator asked to see. `status=live` means open, assigned or on hold."""

    status: str | None = None
    reason: str | None = None
    channel: str | None = None
    market: str | None = None
    kind: Kind | None = None
    min_age_m: float | None = Field(default=None, ge=0, description="opened at least this ago")
    max_age_m: float | None = Field(default=None, ge=0, description="opened at most this ago")
    sort: Literal["age", "sla_due", "severity", "status", "reason"] = "age"
    order: Literal["asc", "desc"] = "desc"
    limit: int = Field(default=100, ge=1, le=1000)

    def where(
        self, now: datetime, leave_out: str = "", markets: Collection[str] | None = None
    ) -> tuple[str, list[Any]]:
        """The filter as SQL with its parameters, without the one named `leave_out` (a count
        by status is taken under every filter but the status one), kept to `markets` when
        given: the caller's, so that limits and counts are of what they may see."""
        terms: list[str] = []
        params: list[Any] = []

        def term(sql: str, value: Any) -> None:
            params.append(value)
            terms.append(sql.replace("?", f"${len(params)}"))

        if self.status and leave_out != "status":
            if self.status == "live":
                term("status = ANY(?::text[])", list(LIVE))
            else:
                term("status = ?", self.status)
        if self.reason and leave_out != "reason":
            term("reason = ?", self.reason)
        for name in ("channel", "market", "kind"):
            if getattr(self, name):
                term(f"{name} = ?", getattr(self, name))
        if markets is not None:  # dead letters have no market: only the unscoped see them
            term("upper(market) = ANY(?::text[])", sorted(markets))
        if self.min_age_m is not None:
            term("opened_at <= ?", now - timedelta(minutes=self.min_age_m))
        if self.max_age_m is not None:
            term("opened_at >= ?", now - timedelta(minutes=self.max_age_m))
        return (" WHERE " + " AND ".join(terms) if terms else ""), params


async def queue(
    db: asyncpg.Pool | asyncpg.Connection,
    f: QueueFilter,
    now: datetime,
    markets: Collection[str] | None = None,
) -> dict[str, Any]:
    """The queue under `f`, of `markets` only when given (None: every market)."""
    where, params = f.where(now, markets=markets)
    direction = "ASC" if f.order == "asc" else "DESC"
    rows = await db.fetch(
        f"SELECT * FROM ({ITEMS}) q{where} ORDER BY {SORTS[f.sort]} {direction} NULLS LAST, id"
        f" LIMIT {f.limit}",
        *params,
    )
    counts = {}
    for column in ("status", "reason"):
        sql, args = f.where(now, leave_out=column, markets=markets)
        found = await db.fetch(
            f"SELECT {column} AS k, count(*) AS n FROM ({ITEMS}) q{sql} GROUP BY 1 ORDER BY 1",
            *args,
        )
        counts[column] = {r["k"]: r["n"] for r in found}
    wanted = f.status
    total = sum(
        n
        for s, n in counts["status"].items()
        if not wanted or (s in LIVE if wanted == "live" else s == wanted)
    )
    return {"items": [item_json(row, now) for row in rows], "counts": counts, "total": total}


def item_json(row: asyncpg.Record, now: datetime) -> dict[str, Any]:
    out = dict(row)
    opened, due = row["opened_at"], row["sla_due"]
    out["age_s"] = None if opened is None else int((now - opened).total_seconds())
    out["overdue"] = bool(due and due < now and row["status"] in LIVE)
    out["opened_at"] = None if opened is None else opened.isoformat()
    out["sla_due"] = None if due is None else due.isoformat()
    lines = (row["summary"] or "").strip().splitlines()
    out["summary"] = lines[0][:200] if lines else ""
    return out
