"""Given a rule set published -> when orders arrive -> then they are judged by it; and the
rules API: a broken file is refused with its lines and the version in force stays."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ordo_events import events as ev
from ordo_events.order import CanonicalOrder, Correction
from ordo_rules import RuleSetError, default_text
from ordo_runtime import UnitOfWork
from ordo_runtime.auth import Authenticator, Principal, secure
from ordo_runtime.testing import Scenario, sample_order
from ordo_validation.app import http, service
from ordo_validation.rules import ActiveRules, publish_rules

# The default rules plus a limit of 2 units a line for the webshop channel.
STRICT = default_text().replace(
    "processes:\n",
    """processes:
  - name: webshop, at most 2 a line
    match: {channel: webshop}
    stages:
      - name: quantities
        rules:
          - check: max_quantity_per_line
            params: {max: 2}
""",
    1,
)
BROKEN = "processes:\n  - stages:\n      - name: a\n        rules:\n          - check: nope\n"


def order(external_id: str, quantity: int = 3) -> CanonicalOrder:
    lines = [{"sku": "SKU-1", "quantity": quantity, "unit_price": "10.00"}]
    return sample_order(external_id=external_id, lines=lines)


def received(o: CanonicalOrder) -> ev.OrderReceived:
    return ev.OrderReceived(order_id=o.order_id, order=o)


def codes(events: Sequence[ev.Event]) -> list[str]:
    (verdict,) = events
    return [i.code for i in verdict.issues] if isinstance(verdict, ev.OrderValidationFailed) else []


def test_publishing_a_version_is_an_event_in_the_log() -> None:
    published = Scenario(service).execute(publish_rules(STRICT, "ola"))
    assert published == [
        ev.RuleSetPublished(rule_version=1, name="default", text=STRICT, published_by="ola")
    ]


def test_orders_after_a_publication_are_judged_by_the_new_version() -> None:
    scenario = Scenario(service)
    assert codes(scenario.when(received(order("before")))) == []
    scenario.execute(publish_rules(STRICT, "ola"))
    assert codes(scenario.when(received(order("after")))) == ["lines.quantity_exceeded"]


def test_a_correction_is_checked_by_the_version_in_force() -> None:
    first = order("c-1")
    scenario = Scenario(service).given(received(first))
    scenario.execute(publish_rules(STRICT, "ola"))
    fixed = Correction(note="checked again").apply(first)
    corrected = ev.OrderCorrected(
        order_id=first.order_id,
        ticket_id="t-1",
        corrected_by="ola",
        correction=Correction(note="checked again"),
        order=fixed,
    )
    assert codes(scenario.when(corrected)) == ["lines.quantity_exceeded"]


def test_a_broken_file_is_refused_and_the_version_in_force_stays() -> None:
    scenario = Scenario(service)
    scenario.execute(publish_rules(STRICT, "ola"))
    with pytest.raises(RuleSetError, match=r"line 5.*unknown check 'nope'"):
        scenario.execute(publish_rules(BROKEN, "ola"))
    assert codes(scenario.when(received(order("later")))) == ["lines.quantity_exceeded"]


def test_publishing_the_version_in_force_again_changes_nothing() -> None:
    scenario = Scenario(service)
    assert scenario.execute(publish_rules(default_text(), "ola")) == []
    scenario.execute(publish_rules(STRICT, "ola"))
    assert scenario.execute(publish_rules(STRICT, "ola")) == []
    (back,) = scenario.execute(publish_rules(default_text(), "ola"))
    assert isinstance(back, ev.RuleSetPublished)
    assert back.rule_version == 2
    assert codes(scenario.when(received(order("restored")))) == []


def test_another_replica_reads_the_new_version_from_the_store() -> None:
    scenario = Scenario(service)
    other = ActiveRules(scenario.app)  # a second process's view of the same database
    assert other.current().version == 0
    scenario.execute(publish_rules(STRICT, "ola"))
    other.look_now()  # instead of waiting for its next look a second later
    assert other.current().version == 1
    assert other.published_by == "ola"


class _Runtime:
    """What the routes use of the runtime, over a scenario's in-memory store."""

    def __init__(self, scenario: Scenario):
        self.app = scenario.app
        self._scenario = scenario

    async def execute(
        self, command: Callable[[UnitOfWork], Sequence[ev.Event]], cause_id: str | None = None
    ) -> list[ev.Event]:
        return self._scenario.execute(command)


@pytest.fixture
def api() -> Iterator[TestClient]:
    http.state.runtime = _Runtime(Scenario(service))
    with TestClient(http) as client:
        yield client


def test_the_api_shows_publishes_and_refuses(api: TestClient) -> None:
    shown: dict[str, Any] = api.get("/rules").json()
    assert (shown["version"], shown["text"]) == (0, default_text())
    put = api.put("/rules", content=STRICT)
    assert put.status_code == 200, put.text
    assert (put.json()["version"], put.json()["published"]) == (1, True)
    assert put.json()["published_by"] == "local"  # the caller, never a field of the request
    refused = api.put("/rules", content=BROKEN)
    assert refused.status_code == 422
    (error,) = refused.json()["detail"]["errors"]
    assert error["line"] == 5
    assert error["path"] == "processes[0].stages[0].rules[0].check"
    assert "unknown check 'nope'" in error["message"]
    assert api.get("/rules").json()["version"] == 1


MANAGER, VIEWER = "manager-token-0123456789", "viewer-token-0123456789"


def test_the_publisher_is_the_caller_its_token_names() -> None:
    guarded = FastAPI()  # validation's routes on an app not started yet, to add the guard
    guarded.include_router(http.router)
    guarded.state.runtime = _Runtime(Scenario(service))
    who = {MANAGER: Principal.of("ola", "manager"), VIEWER: Principal.of("vic", "viewer")}
    secure(guarded, Authenticator(who))
    with TestClient(guarded) as client:
        as_viewer = {"Authorization": f"Bearer {VIEWER}"}
        assert client.get("/rules", headers=as_viewer).status_code == 200
        assert client.put("/rules", content=STRICT, headers=as_viewer).status_code == 403
        as_manager = {"Authorization": f"Bearer {MANAGER}"}
        put = client.put("/rules", content=STRICT, headers=as_manager)
        assert put.json()["published_by"] == "ola"
