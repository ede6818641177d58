"""Rules as data on the real stack: a stricter rule set published while orders flow judges
the later orders without a restart, no order is lost, and a dry run reports the change."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordo_cli.main import app as cli
from ordo_events import events as ev
from ordo_events.order import CanonicalOrder
from ordo_events.topics import VALIDATION
from ordo_rules import default_text
from ordo_runtime.testing import sample_order
from tests.integration.conftest import Ordo, eventually
from tests.integration.kafka_tools import read_events

pytestmark = pytest.mark.integration
CHANNEL = "rulestest"
# The default rules, plus at most 5 units a line for one channel only, so the suite's other
# orders are judged as before.
STRICT = default_text().replace(
    "processes:\n",
    f"""processes:
  - name: {CHANNEL}, at most 5 a line
    match: {{channel: {CHANNEL}}}
    stages:
      - name: quantities
        rules:
          - check: max_quantity_per_line
            params: {{max: 5}}
""",
    1,
)


def order(name: str) -> CanonicalOrder:
    lines = [{"sku": "RULES-1", "quantity": 8, "unit_price": "1.00"}]
    return sample_order(channel=CHANNEL, external_id=name, lines=lines)


def submit(ordo: Ordo, o: CanonicalOrder) -> str:
    with ordo.http("ingestion") as api:
        response = api.post("/orders", content=o.model_dump_json())
    assert response.status_code == 202, response.text
    return o.order_id


def verdicts(ordo: Ordo, ids: list[str]) -> dict[str, list[str]] | None:
    """Each order's latest verdict as its issue codes ([] = validated), once all have one."""
    found: dict[str, tuple[int, list[str]]] = {}
    for envelope in read_events(ordo.stack.kafka_bootstrap, VALIDATION.name):
        e = envelope.data
        if e.order_id in ids and isinstance(e, ev.OrderValidated | ev.OrderValidationFailed):
            codes = [i.code for i in e.issues] if isinstance(e, ev.OrderValidationFailed) else []
            if e.attempt >= found.get(e.order_id, (0, []))[0]:
                found[e.order_id] = (e.attempt, codes)
    return {k: v[1] for k, v in found.items()} if len(found) == len(ids) else None


def publish(ordo: Ordo, text: str) -> dict[str, object]:
    with ordo.http("validation") as api:
        response = api.put("/rules", content=text)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


@pytest.fixture
def default_rules_after(ordo: Ordo) -> Iterator[None]:
    yield
    publish(ordo, default_text())  # the rest of the suite runs on the default rules


@pytest.mark.usefixtures("default_rules_after")
def test_a_stricter_rule_set_judges_later_orders_without_a_restart(
    ordo: Ordo, tmp_path: Path
) -> None:
    before = [submit(ordo, order(f"before-{n}")) for n in range(3)]
    found_before = eventually(lambda: verdicts(ordo, before), 60, "verdicts before")
    assert found_before == {order_id: [] for order_id in before}
    validation_pid = ordo.supervisor.children["validation"].process.pid

    # Orders keep flowing while the new version is published.
    during: list[tuple[str, float]] = []

    def flow() -> None:
        for n in range(20):
            started = time.monotonic()
            during.append((submit(ordo, order(f"during-{n}")), started))
            time.sleep(0.05)

    sender = threading.Thread(target=flow)
    sender.start()
    time.sleep(0.3)
    published = publish(ordo, STRICT)
    in_force = time.monotonic()
    sender.join(30)
    after = [submit(ordo, order(f"after-{n}")) for n in range(3)]

    everything = [*before, *(i for i, _ in during), *after]
    found = eventually(lambda: verdicts(ordo, everything), 90, "a verdict for every order")
    assert published["published"] is True
    assert published["published_by"] == "it-manager"
    assert ordo.supervisor.children["validation"].process.pid == validation_pid  # no restart
    exceeded = ["lines.quantity_exceeded"]
    for order_id in after:
        assert found[order_id] == exceeded
    for order_id, sent in during:
        if sent > in_force:
            assert found[order_id] == exceeded
        else:  # sent while the version was being published: judged by either, by nothing else
            assert found[order_id] in ([], exceeded)
    for order_id in before:
        assert found[order_id] == []

    # A dry run of the same rules: the orders validated before would now fail.
    proposed = tmp_path / "strict.yaml"
    proposed.write_text(STRICT)
    bootstrap = ordo.stack.kafka_bootstrap
    result = CliRunner().invoke(
        cli,
        ["rules", "dry-run", str(proposed), "--bootstrap", bootstrap, "--show", "500"],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    for order_id in before:
        assert order_id in result.output
    assert "would now fail" in result.output
    assert "lines.quantity_exceeded" in result.output


def test_a_broken_rule_file_is_refused_and_the_rules_in_force_stay(ordo: Ordo) -> None:
    with ordo.http("validation") as api:
        in_force = api.get("/rules").json()
        broken = STRICT.replace("max_quantity_per_line", "max_qty")
        response = api.put("/rules", content=broken)
        assert response.status_code == 422
        (error,) = response.json()["detail"]["errors"]
        assert error["line"] == broken.splitlines().index("          - check: max_qty") + 1
        assert "unknown check 'max_qty'" in error["message"]
        assert api.get("/rules").json()["version"] == in_force["version"]
