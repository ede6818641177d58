"""Plain-text instructions for the operator, one jinja2 template per ticket reason and language.

Templates live in templates/<language>/<reason>.txt.j2 so wording can change, and languages be
added, without touching the handlers.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder

DEFAULT_LANGUAGE = "en"


@cache
def environment() -> Environment:
    # Plain text for people, not HTML: nothing to escape. StrictUndefined turns a misspelt
    # variable into an error in the tests instead of a silent gap in the instructions.
    return Environment(
        loader=PackageLoader("ordo_ticketing", "templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )


def render(
    reason: str,
    *,
    order_id: str,
    order: CanonicalOrder | None,
    issues: list[Issue],
    language: str = DEFAULT_LANGUAGE,
    **details: Any,
) -> str:
    template = environment().get_template(f"{language}/{reason}.txt.j2")
    text = template.render(order_id=order_id, order=order, issues=issues, **details)
    return text.strip() + "\n"
