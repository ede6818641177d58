"""The rule set in force: published versions kept in validation's store, compiled once.

Publishing is a command: the YAML is compiled first (a broken file is refused and changes
nothing), then the `RuleBook` records the new version and `RuleSetPublished` goes to
ordo.rules through the outbox. Judging reads the compiled set from memory; at most once a
second it asks the store, with one indexed query, whether a newer version was published
(by this replica or another), so a new version applies without a restart.
"""

from __future__ import annotations

import time
import uuid
import weakref
from collections.abc import Callable, Sequence

from eventsourcing.domain import Aggregate, event

from ordo_events import events as ev
from ordo_rules import RuleSet, RuleSetError, compile_rules, default_rules, default_text
from ordo_runtime import UnitOfWork
from ordo_runtime.store import ServiceApplication

RULEBOOK_ID = uuid.UUID("9d3f1c52-7b0e-4a8e-9c55-3f1e0b6a7d21")
REFRESH_S = 1.0


class RuleBook(Aggregate):
    """Every rule set version published, newest in force. Version 0 is the built-in default."""

    @staticmethod
    def create_id() -> uuid.UUID:
        return RULEBOOK_ID

    def __init__(self) -> None:
        self.rule_version = 0  # not `version`: that is the aggregate's own
        self.text: str | None = None  # None: the built-in default
        self.published_by: str | None = None

    def publish(self, rules: RuleSet, published_by: str) -> None:
        self.published(
            rule_version=self.rule_version + 1, text=rules.text, published_by=published_by
        )

    class Published(Aggregate.Event):
        rule_version: int
        text: str
        published_by: str

    @event(Published)
    def published(self, rule_version: int, text: str, published_by: str) -> None:
        self.rule_version, self.text, self.published_by = rule_version, text, published_by


def publish_rules(text: str, published_by: str) -> Callable[[UnitOfWork], Sequence[ev.Event]]:
    """The command behind `PUT /rules`. Raises RuleSetError, with every problem's line,
    before anything is written."""
    compile_rules(text)  # refuse a broken file before touching the book

    def command(uow: UnitOfWork) -> Sequence[ev.Event]:
        book = uow.get_or_add(RuleBook, RULEBOOK_ID, RuleBook)
        if text == (book.text if book.text is not None else default_text()):
            return []  # already in force: publishing it again changes nothing
        rules = compile_rules(text, version=book.rule_version + 1)
        book.publish(rules, published_by)
        active(uow.app).look_now()
        return [
            ev.RuleSetPublished(
                rule_version=rules.version, name=rules.name, text=text, published_by=published_by
            )
        ]

    return command


class ActiveRules:
    """One service's compiled rule set, refreshed from its store (see the module's note)."""

    def __init__(self, app: ServiceApplication):
        self._app = weakref.ref(app)
        self.rules = default_rules()
        self.published_by: str | None = None
        self._seen = 0  # the RuleBook's aggregate version last read
        self._next_look = 0.0
        self.refused: str | None = None  # why the newest stored version did not compile

    def current(self) -> RuleSet:
        now = time.monotonic()
        if now >= self._next_look:
            self._next_look = now + REFRESH_S
            self.refresh()
        return self.rules

    def look_now(self) -> None:
        self._next_look = 0.0

    def refresh(self) -> None:
        app = self._app()
        if app is None:
            return
        stored = app.recorder.select_events(RULEBOOK_ID, gt=self._seen, desc=True, limit=1)
        if not stored:
            return
        latest = app.mapper.to_domain_event(stored[0])
        self._seen = latest.originator_version
        if isinstance(latest, RuleBook.Published):
            try:
                self.rules = compile_rules(latest.text, version=latest.rule_version)
            except RuleSetError as exc:  # only if a check this code knows was removed
                self.refused = f"version {latest.rule_version}: {exc}"
                return
            self.published_by, self.refused = latest.published_by, None


_ACTIVE: weakref.WeakKeyDictionary[ServiceApplication, ActiveRules] = weakref.WeakKeyDictionary()


def active(app: ServiceApplication) -> ActiveRules:
    found = _ACTIVE.get(app)
    if found is None:
        found = _ACTIVE[app] = ActiveRules(app)
    return found
