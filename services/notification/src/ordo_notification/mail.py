"""Customer emails from the templates in templates/<language>/<status>.txt.

A template renders the subject on its first line and the body below it, so a whole email,
greeting and sign-off included, reads top to bottom in one language's folder.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

LANGUAGES = ("en", "pl", "de", "ru")
DEFAULT_LANGUAGE = "en"

# Plain text mail: nothing is HTML-escaped. StrictUndefined turns a template asking for a fact
# the handler did not give into an error instead of a silently blank sentence.
_templates = Environment(
    loader=PackageLoader("ordo_notification", "templates"),
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
    # The templates ship inside the package: checking their files for changes before every
    # render was ~6% of the service's CPU under load.
    auto_reload=False,
)


def language_for(language: str | None) -> str:
    """The template language for an order's language tag ("pl", "pl-PL", "en_GB", "de")."""
    primary = (language or "").lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def render(status: str, language: str, **context: Any) -> tuple[str, str]:
    """(subject, body) of the email telling the customer about `status`."""
    template = _templates.get_template(f"{language_for(language)}/{status}.txt")
    subject, _, body = template.render(**context).partition("\n")
    return subject.strip(), body.strip() + "\n"
