"""A rule file compiled once into plain functions; judging an order does no YAML work.

rules = compile_rules(text, version=3)      # RuleSetError, with lines, if it is broken
issues = rules.check(order)                 # the same Issue codes validation publishes
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources

from pydantic import ValidationError

from ordo_events.events import Issue
from ordo_events.order import CanonicalOrder
from ordo_rules import limits as _limits  # noqa: F401  (registers its checks)
from ordo_rules.checks import CHECKS, Check
from ordo_rules.model import Condition, Match, Process, RuleSetDoc
from ordo_rules.source import Located, Path, RuleError, RuleSetError

Predicate = Callable[[CanonicalOrder], bool]
MAX_CACHED_KEYS = 4096  # (channel, market) pairs; a bound, not an expectation


@dataclass(frozen=True)
class CompiledStage:
    name: str
    when: Predicate | None
    sequence: bool
    rules: tuple[tuple[Predicate | None, Check], ...]

    def run(self, order: CanonicalOrder) -> list[Issue]:
        issues: list[Issue] = []
        for when, check in self.rules:
            if when is None or when(order):
                found = check(order)
                if found:
                    issues.extend(found)
                    if self.sequence:
                        break
        return issues


@dataclass(frozen=True)
class CompiledProcess:
    name: str
    match: Match
    sequence: bool
    stages: tuple[CompiledStage, ...]

    def run(self, order: CanonicalOrder) -> list[Issue]:
        issues: list[Issue] = []
        for stage in self.stages:
            if stage.when is None or stage.when(order):
                found = stage.run(order)
                if found:
                    issues.extend(found)
                    if self.sequence:
                        break
        return issues

    def fits(self, channel: str, market: str) -> bool:
        m = self.match
        return (m.channel is None or channel in m.channel) and (
            m.market is None or market.upper() in {x.upper() for x in m.market}
        )


@dataclass
class RuleSet:
    """A compiled, versioned rule set. `text` is the YAML it came from, kept verbatim."""

    version: int
    name: str
    text: str
    processes: tuple[CompiledProcess, ...]
    _for_key: dict[tuple[str, str], CompiledProcess] = field(default_factory=dict, repr=False)

    def process_for(self, channel: str, market: str) -> CompiledProcess:
        key = (channel, market)
        found = self._for_key.get(key)
        if found is None:
            found = next(p for p in self.processes if p.fits(channel, market))
            if len(self._for_key) < MAX_CACHED_KEYS:
                self._for_key[key] = found
        return found

    def check(self, order: CanonicalOrder) -> list[Issue]:
        return self.process_for(order.channel, order.market).run(order)


def compile_rules(text: str, version: int = 0) -> RuleSet:
    """Parse and compile a rule file; every problem is reported at once, with its line."""
    source = Located(text)
    try:
        doc = RuleSetDoc.model_validate(source.data)
    except ValidationError as exc:
        raise RuleSetError([_pydantic_error(source, (), e) for e in exc.errors()]) from None
    errors: list[RuleError] = []
    processes = tuple(
        _process(source, ("processes", i), p, errors) for i, p in enumerate(doc.processes)
    )
    last = doc.processes[-1].match
    if last.channel is not None or last.market is not None:
        at = ("processes", len(doc.processes) - 1, "match")
        errors.append(
            source.error(at, "the last process must match every order: leave out its match")
        )
    if errors:
        raise RuleSetError(errors)
    return RuleSet(version=version, name=doc.name, text=text, processes=processes)


def default_text() -> str:
    return resources.files("ordo_rules").joinpath("default_rules.yaml").read_text("utf-8")


def default_rules() -> RuleSet:
    """Validation's checks as they were before rules became data: version 0."""
    return compile_rules(default_text(), version=0)


def _process(
    source: Located, at: Path, process: Process, errors: list[RuleError]
) -> CompiledProcess:
    stages = []
    seen: set[str] = set()
    for i, stage in enumerate(process.stages):
        where = (*at, "stages", i)
        if stage.name in seen:
            errors.append(source.error((*where, "name"), f"a second stage named {stage.name!r}"))
        seen.add(stage.name)
        rules = []
        for j, rule in enumerate(stage.rules):
            check = _check(source, (*where, "rules", j), rule.check, rule.params, errors)
            rules.append((_predicate(rule.when), check))
        stages.append(
            CompiledStage(
                stage.name, _predicate(stage.when), stage.mode == "sequence", tuple(rules)
            )
        )
    name = process.name or f"process {at[-1]}"
    return CompiledProcess(name, process.match, process.mode == "sequence", tuple(stages))


def _check(
    source: Located, at: Path, name: str, params: dict[str, object], errors: list[RuleError]
) -> Check:
    spec = CHECKS.get(name)
    if spec is None:
        known = ", ".join(sorted(CHECKS))
        errors.append(source.error((*at, "check"), f"unknown check {name!r}; known: {known}"))
        return lambda order: ()
    try:
        return spec.build(spec.params.model_validate(params))
    except ValidationError as exc:
        errors.extend(_pydantic_error(source, (*at, "params"), e, name) for e in exc.errors())
        return lambda order: ()


def _pydantic_error(source: Located, at: Path, error: object, check: str = "") -> RuleError:
    assert isinstance(error, dict)
    path = (*at, *(p for p in error["loc"] if isinstance(p, str | int)))
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        message = f"{path[-1]!r} is not a known field" + (f" of check {check!r}" if check else "")
    elif error["type"] == "missing":
        message = f"{path[-1]!r} is required" + (f" by check {check!r}" if check else "")
    return source.error(path, message)


def _predicate(condition: Condition | None) -> Predicate | None:
    """A condition as one function; each field given narrows it."""
    if condition is None:
        return None
    c = condition
    tests: list[Predicate] = []
    if c.channel is not None:
        tests.append(_one_of(lambda o: o.channel, c.channel))
    if c.market is not None:
        tests.append(_one_of(lambda o: o.market.upper(), [x.upper() for x in c.market]))
    if c.currency is not None:
        tests.append(_one_of(lambda o: o.currency.upper(), [x.upper() for x in c.currency]))
    if c.delivery_method is not None:
        tests.append(_one_of(lambda o: o.delivery.method, c.delivery_method))
    if c.payment_method is not None:
        tests.append(_one_of(lambda o: o.payment.method, c.payment_method))
    if c.delivery_country is not None:
        countries = [x.upper() for x in c.delivery_country]
        tests.append(_one_of(_delivery_country, countries))
    if c.invoice is not None:
        wanted = c.invoice
        tests.append(lambda o: (o.invoice is not None) is wanted)
    if len(tests) == 1:
        return tests[0]
    return lambda o: all(t(o) for t in tests)


def _one_of(fact: Callable[[CanonicalOrder], object], values: Iterable[object]) -> Predicate:
    allowed = frozenset(values)
    return lambda order: fact(order) in allowed


def _delivery_country(order: CanonicalOrder) -> str | None:
    address = order.delivery.address
    return address.country.upper() if address is not None else None
