"""`ordo inventory reconcile [--repair]`: asks the inventory service to recompute reserved
stock from its reservations and report (or repair) where its stock records drifted."""

from __future__ import annotations

from typing import Any

import httpx
from rich.table import Table


def reconcile(api: str, repair: bool = False, token: str | None = None) -> dict[str, Any]:
    """The inventory service's report; with `repair`, after it corrected the drift."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=api, timeout=120.0, headers=headers) as http:
        response = http.post("/reconciliation/repair") if repair else http.get("/reconciliation")
    response.raise_for_status()
    report: dict[str, Any] = response.json()
    return report


def render(report: dict[str, Any]) -> Table | str:
    counted = f"{report['reservations']} reservation(s), {report['stocks']} SKU(s)"
    drift = report["drift"]
    if not drift:
        return f"no drift: {counted} agree"
    verb = "repaired" if report.get("repaired") else "found"
    table = Table(title=f"drift {verb} over {counted}")
    for column in ("sku", "warehouse", "recorded reserved", "held by reservations"):
        table.add_column(column)
    for d in drift:
        table.add_row(d["sku"], d["warehouse"], str(d["recorded"]), str(d["expected"]))
    return table
