"""What a caller may see of what ingestion kept (ordo_runtime.auth / masking): customer data
masked for roles without the permission, in a refused payload's raw text too, and operators
only their markets' orders.

Another market's order or rejection answers 404 like a missing one, as ticketing's API does:
an operator learns nothing of orders that are not theirs, not even that they exist. A refused
payload names its market only when it is Ordo's canonical JSON (`market` at the top); one
that names none is shown only to callers who see every market."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request

from ordo_ingestion.queries import RejectionView
from ordo_runtime.auth import caller
from ordo_runtime.masking import mask_customer_data, mask_raw


def rejection_market(view: RejectionView) -> str | None:
    try:
        data = json.loads(view.raw)
    except (ValueError, RecursionError):
        return None
    market = data.get("market") if isinstance(data, dict) else None
    return market if isinstance(market, str) else None


def rejection_filter(request: Request) -> Callable[[RejectionView], bool] | None:
    """Which rejections the caller may see, for the query to apply before it counts a page
    (None: every one)."""
    who = caller(request)
    if who.markets is None:
        return None
    return lambda view: who.sees(rejection_market(view))


def rejection(request: Request, view: RejectionView | None, missing: str) -> RejectionView:
    """`view` as the caller may see it; 404 with `missing` when they may not."""
    if view is None or not caller(request).sees(rejection_market(view)):
        raise HTTPException(404, missing)
    return shown(request, view)


def shown(request: Request, view: RejectionView) -> RejectionView:
    if caller(request).sees_customer_data:
        return view
    doc: dict[str, Any] = mask_customer_data(view.model_dump(mode="json", exclude={"raw"}))
    return RejectionView.model_validate({**doc, "raw": mask_raw(view.raw)})


def order_market(request: Request, market: str | None, missing: str) -> None:
    """404 with `missing` for an order of a market the caller does not work on."""
    if not caller(request).sees(market):
        raise HTTPException(404, missing)
