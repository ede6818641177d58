"""`ordo demo` end to end: the real stack, every service, the simulator, as `make run` runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import psutil
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


def test_up_stops_everything_when_its_terminal_hangs_up(tmp_path: Path) -> None:
    """Closing the terminal sends SIGHUP: `ordo up` stops what it started, as on Ctrl-C,
    though it can no longer print (its output is a closed file, here a plain one)."""
    log = tmp_path / "up.out"
    with log.open("w") as out:
        up = _up(tmp_path, out)
        try:
            children, pg_dir = _started(up, tmp_path, log)
            assert pg_dir.exists()

            up.send_signal(signal.SIGHUP)
            assert up.wait(120) == 0, _tail(log)
        finally:
            if up.poll() is None:
                up.kill()
    _, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [], [p.cmdline() for p in alive]
    assert not pg_dir.exists()  # PostgreSQL stopped and its data directory removed
    assert not (tmp_path / ".ordo" / "stack.json").exists()


def test_up_killed_outright_leaves_nothing_running(tmp_path: Path) -> None:
    """SIGKILL gives `ordo up` no chance to stop what it started: the services, the broker,
    PostgreSQL and the SMTP sink must stop by themselves, soon."""
    log = tmp_path / "up.out"
    with log.open("w") as out:
        up = _up(tmp_path, out)
        try:
            started_by_up, pg_dir = _started(up, tmp_path, log)
            # PostgreSQL's postmaster, daemonised by pg_ctl, is no child: its pid is in its
            # data directory.
            postmaster = psutil.Process(int((pg_dir / "postmaster.pid").read_text().split()[0]))
            assert postmaster.name() == "postgres"
        finally:
            up.kill()
            up.wait()
    everything = [*started_by_up, postmaster]
    killed = time.monotonic()
    while (left := [p for p in everything if _running(p)]) and time.monotonic() < killed + 30:
        time.sleep(0.2)
    assert left == [], [p.cmdline() for p in left] + [_service_logs(tmp_path / ".ordo" / "run")]
    assert not pg_dir.exists()  # the throwaway data directory removed too


def _up(cwd: Path, out: IO[str]) -> subprocess.Popen[bytes]:
    ordo = Path(sys.executable).parent / "ordo"
    return subprocess.Popen([str(ordo), "up"], cwd=cwd, stdout=out, stderr=out)


def _started(
    up: subprocess.Popen[bytes], cwd: Path, log: Path
) -> tuple[list[psutil.Process], Path]:
    """Once `up`'s stack is running: the processes it started (the services, the broker, the
    SMTP sink and the stack's watchdog, in sessions of their own) and PostgreSQL's data
    directory."""
    started = cwd / ".ordo" / "stack.json"
    deadline = time.monotonic() + DEADLINE_S
    while not started.exists() and up.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert started.exists(), _tail(log)
    info = json.loads(started.read_text())
    children = psutil.Process(up.pid).children(recursive=True)
    assert len(children) >= 9, [c.name() for c in children]
    return children, Path(info["database_url"].split("host=")[1].split("&")[0])


def _running(process: psutil.Process) -> bool:
    # Exited but not yet reaped (a zombie) is gone for our purposes.
    try:
        return bool(process.is_running()) and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _service_logs(run_dir: Path) -> str:
    logs = sorted(run_dir.glob("*.log")) if run_dir.exists() else []
    return "".join(
        f"\n--- {log.name} ---\n{_tail(log, 15)}" for log in logs if os.path.getsize(log)
    )
