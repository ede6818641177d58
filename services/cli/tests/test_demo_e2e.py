"""`ordo demo` end to end: the real stack, every service, the simulator, as `make run` runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

DEADLINE_S = 300


def test_demo_brings_every_order_to_rest_where_its_scenario_says(tmp_path: Path) -> None:
    ordo = Path(sys.executable).parent / "ordo"
    report = tmp_path / "summary.json"
    argv = [str(ordo), "demo", "--orders", "40", "--exit-when-done", "--report", str(report)]
    log = tmp_path / "demo.out"
    with log.open("w") as out:
        # cwd: the run's .ordo state and logs stay in the test's directory.
        demo = subprocess.Popen(argv, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
        try:
            code = demo.wait(DEADLINE_S)
        except subprocess.TimeoutExpired:
            # SIGTERM takes demo's own shutdown path, which stops the services and servers.
            demo.send_signal(signal.SIGTERM)
            demo.wait(60)
            pytest.fail(f"demo still running after {DEADLINE_S}s:\n{_tail(log)}")
    assert code == 0, _tail(log) + _service_logs(tmp_path / ".ordo" / "run")
    summary = json.loads(report.read_text())
    assert summary["orders"] == 40
    assert summary["by_scenario"]["complete"] == {"released": 32}
    for failing in ("no_phone", "out_of_stock", "payment_declined"):
        assert list(summary["by_scenario"][failing]) == ["ticket opened"], summary
    assert summary["tickets_opened"] >= 8
    output = log.read_text()
    assert "operator API" in output


def _tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _service_logs(run_dir: Path) -> str:
    logs = sorted(run_dir.glob("*.log")) if run_dir.exists() else []
    return "".join(
        f"\n--- {log.name} ---\n{_tail(log, 15)}" for log in logs if os.path.getsize(log)
    )
