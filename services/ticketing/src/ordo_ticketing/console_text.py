"""The console's fixed labels in the operator's language, as the ticket instructions are.

Templates write English and wrap it, `{{ _("Show") }}`; the English text is the key into
templates/console/text/<language>.json, and a label with no translation yet shows in English
rather than not at all (gettext's habit, without a compiled catalogue to build). Values a
request sends back (statuses, reasons, delivery methods) stay as the API spells them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib.resources import files

from ordo_ticketing.instructions import DEFAULT_LANGUAGE


@cache
def catalogue(language: str) -> dict[str, str]:
    if language == DEFAULT_LANGUAGE:
        return {}
    found = files("ordo_ticketing") / "templates" / "console" / "text" / f"{language}.json"
    if not found.is_file():
        return {}
    loaded: dict[str, str] = json.loads(found.read_text(encoding="utf-8"))
    return loaded


def translator(language: str) -> Callable[[str], str]:
    """`_` for the templates: a label in `language`, else as written (English)."""
    known = catalogue(language)
    return lambda text: known.get(text, text)
