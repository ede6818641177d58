"""The console's labels: every one the templates wrap is translated into each language the
instructions are written in, and the shell is served in the operator's language."""

from __future__ import annotations

import re
from importlib.resources import files

import httpx
import pytest
from fastapi import FastAPI

from ordo_ticketing.console import router
from ordo_ticketing.console_text import catalogue, translator
from ordo_ticketing.domain import REASONS
from ordo_ticketing.instructions import DEFAULT_LANGUAGE, LANGUAGES, environment

CONSOLE = files("ordo_ticketing") / "templates" / "console"
LABEL = re.compile(r'_\("([^"]+)"\)')


def labels() -> set[str]:
    found: set[str] = set()
    for template in CONSOLE.iterdir():
        if template.name.endswith(".html.j2"):
            found |= set(LABEL.findall(template.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
def test_every_label_is_translated_and_every_translation_used(language: str) -> None:
    wrapped, known = labels(), catalogue(language)
    assert len(wrapped) > 50  # the templates were read
    assert sorted(wrapped - set(known)) == []
    assert sorted(set(known) - wrapped) == []
    assert all(known[label].strip() for label in wrapped)


def test_english_is_as_written_and_an_unknown_label_stays_english() -> None:
    assert translator("en")("Resolve") == "Resolve"
    assert translator("pl")("Resolve") == "Rozwiąż"
    assert translator("de")("Resolve") == "Abschließen"
    assert translator("ru")("a label added later") == "a label added later"


@pytest.mark.parametrize(
    ("params", "headers", "shown", "not_shown"),
    [
        ({}, {}, ">Show</button>", "Pokaż"),
        ({}, {"Accept-Language": "pl-PL,pl;q=0.9"}, ">Pokaż</button>", ">Show<"),
        ({"lang": "ru"}, {"Accept-Language": "pl"}, ">Показать</button>", ">Pokaż<"),
        ({}, {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}, ">Anzeigen</button>", ">Show<"),
    ],
)
async def test_the_shell_speaks_the_operators_language(
    params: dict[str, str], headers: dict[str, str], shown: str, not_shown: str
) -> None:
    app = FastAPI()
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ticketing") as client:
        response = await client.get("/console", params=params, headers=headers)
    assert response.status_code == 200
    assert shown in response.text
    assert not_shown not in response.text
    assert 'params.append("lang"' in response.text  # the queue is asked for in it too


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_ticket_reason_has_instructions_in_every_language(language: str) -> None:
    # Rendering falls back to English, so a missing translation would not fail elsewhere.
    templates = set(environment().list_templates(filter_func=lambda n: n.startswith(language)))
    missing = [r for r in REASONS if f"{language}/{r}.txt.j2" not in templates]
    assert missing == []
    # ...and every template English has (the reasons and what they include), by the same name.
    english = set(environment().list_templates(filter_func=lambda n: n.startswith("en/")))
    assert sorted(templates) == sorted(f"{language}/{name[3:]}" for name in english)
