"""Plain-text instructions for the operator, one jinja2 template per ticket reason and language.

Templates live in templates/<language>/<reason>.txt.j2 so wording can change, and languages be
added, without touching the handlers. English is complete; another language falls back to it
for a reason it has no template for.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError, TemplateNotFound

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "pl", "ru", "de")


@cache
def environment() -> Environment:
    # Plain text for people, not HTML: nothing to escape here (the console's HTML templates
    # escape it). StrictUndefined turns a misspelt variable into an error in the tests
    # instead of a silent gap in the instructions.
    return Environment(
        loader=PackageLoader("ordo_ticketing", "templates"),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        # The templates ship inside the package: checking their files for changes before every
        # render was ~6% of the service's CPU under load.
        auto_reload=False,
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
    env = environment()
    try:
        template = env.get_template(f"{language}/{reason}.txt.j2")
    except TemplateNotFound:
        template = env.get_template(f"{DEFAULT_LANGUAGE}/{reason}.txt.j2")
    text = template.render(order_id=order_id, order=order, issues=issues, **details)
    return text.strip() + "\n"


def render_again(
    ticket: Mapping[str, Any], order: CanonicalOrder | None, language: str = DEFAULT_LANGUAGE
) -> str | None:
    """A stored ticket's instructions rendered again from what it was opened with (reason,
    issues, details) and `order`; None for one that cannot be (opened before details were
    kept, so its template lacks what it needs)."""
    try:
        return render(
            ticket["reason"],
            order_id=ticket["order_id"],
            order=order,
            issues=[Issue.model_validate(i) for i in ticket["issues"]],
            language=language,
            **ticket["details"],
        )
    except (TemplateError, ValueError, TypeError):
        return None


def language_of(lang: str | None, accept_language: str | None) -> str:
    """The operator's language: `?lang=` if we have it, else the browser's preference
    (Accept-Language, by weight), else English."""
    if lang and lang.lower()[:2] in LANGUAGES:
        return lang.lower()[:2]
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        try:
            weight = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            weight = 0.0
        weighted.append((-weight, index, tag.strip().lower()[:2]))
    for _, _, code in sorted(weighted):
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
