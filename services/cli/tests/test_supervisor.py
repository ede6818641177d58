"""The process supervisor, with tiny `python -c` HTTP servers standing in for services."""

from __future__ import annotations

import os
import signal
import socket
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ordo_cli.supervisor import NotReady, ServiceDied, ServiceSpec, Supervisor, tail
from ordo_cli.up import nice_of, pick_ports, port_free

FAKE_SERVICE = textwrap.dedent(
    """
    import http.server, os, signal, time
    if os.environ.get("IGNORE_SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.environ.get("DIE"):
        raise SystemExit("fake service: cannot reach the database")
    started, after = time.monotonic(), float(os.environ.get("READY_AFTER", "0"))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ready = self.path == "/ready" and time.monotonic() - started >= after
            self.send_response(200 if ready else 503)
            self.end_headers()

        def log_message(self, *args):
            pass

    name, parent = os.environ["OTEL_SERVICE_NAME"], os.environ.get("ORDO_PARENT_PID")
    print("fake service", name, "listening; parent", parent, flush=True)
    http.server.HTTPServer(("127.0.0.1", int(os.environ["HTTP_PORT"])), Handler).serve_forever()
    """
)


def fake(name: str, port: int, **env: str) -> ServiceSpec:
    env = {"HTTP_PORT": str(port), "OTEL_SERVICE_NAME": name, **env}
    return ServiceSpec(name, [sys.executable, "-c", FAKE_SERVICE], port, env)


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Supervisor]:
    supervisor = Supervisor(tmp_path / "run")
    yield supervisor
    supervisor.stop(grace_s=1)  # also when a test failed halfway: no fake service outlives it


def ports(n: int) -> list[int]:
    """Free ports, from the OS."""
    sockets = [socket.socket() for _ in range(n)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    found = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return found


def test_services_become_ready_and_stop_on_sigterm(supervisor: Supervisor) -> None:
    a, b = ports(2)
    supervisor.start(fake("alpha", a))
    supervisor.start(fake("beta", b, READY_AFTER="0.5"))
    started = time.monotonic()
    supervisor.wait_ready(deadline_s=20)
    assert time.monotonic() - started >= 0.5
    supervisor.check()
    codes = supervisor.stop(grace_s=5)
    assert codes == {"alpha": -signal.SIGTERM, "beta": -signal.SIGTERM}
    # Told who its parent is, so that it can stop by itself should this process be killed.
    log = (supervisor.log_dir / "alpha.log").read_text()
    assert f"fake service alpha listening; parent {os.getpid()}" in log


def test_a_dying_service_is_reported_with_its_log(supervisor: Supervisor) -> None:
    a, b = ports(2)
    supervisor.start(fake("alpha", a, READY_AFTER="60"))
    supervisor.start(fake("beta", b, DIE="1"))
    with pytest.raises(ServiceDied) as died:
        supervisor.wait_ready(deadline_s=20)
    assert died.value.name == "beta"
    assert died.value.code == 1
    assert "cannot reach the database" in tail(died.value.log)
    assert supervisor.stop(grace_s=5)["alpha"] == -signal.SIGTERM


def test_a_restart_keeps_what_the_process_before_wrote(tmp_path: Path) -> None:
    (a,) = ports(1)
    log = tmp_path / "run" / "beta.log"
    log.parent.mkdir(parents=True)
    log.write_text("an older run's log\n")
    supervisor = Supervisor(tmp_path / "run")
    supervisor.start(fake("beta", a, DIE="1")).process.wait(20)
    supervisor.start(fake("beta", a, DIE="1")).process.wait(20)
    text = log.read_text()
    assert "older run" not in text  # each run starts its logs afresh
    assert text.count("cannot reach the database") == 2


def test_a_service_that_never_gets_ready_times_out(supervisor: Supervisor) -> None:
    (a,) = ports(1)
    supervisor.start(fake("alpha", a, READY_AFTER="60"))
    with pytest.raises(NotReady) as late:
        supervisor.wait_ready(deadline_s=1)
    assert list(late.value.logs) == ["alpha"]
    supervisor.stop(grace_s=5)


def test_a_service_ignoring_sigterm_is_killed_after_the_grace_period(
    supervisor: Supervisor,
) -> None:
    (a,) = ports(1)
    supervisor.start(fake("stubborn", a, IGNORE_SIGTERM="1"))
    supervisor.wait_ready(deadline_s=20)
    started = time.monotonic()
    assert supervisor.stop(grace_s=0.5) == {"stubborn": -signal.SIGKILL}
    assert time.monotonic() - started < 5


def test_usual_ports_are_used_in_order_and_a_taken_one_is_replaced() -> None:
    first = next(p for p in ports(20) if port_free(p + 1) and port_free(p + 2))
    assert pick_ports(["x", "y", "z"], first=first) == {"x": first, "y": first + 1, "z": first + 2}
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", first + 1))
        taken.listen()
        chosen = pick_ports(["x", "y", "z"], first=first)
    assert chosen["x"] == first
    assert chosen["z"] == first + 2
    assert chosen["y"] not in (0, first + 1)


def test_a_service_runs_at_the_priority_its_spec_gives(supervisor: Supervisor) -> None:
    a, b = ports(2)
    low = supervisor.start(replace(fake("alpha", a), nice=4))
    usual = supervisor.start(fake("beta", b))
    assert os.getpriority(os.PRIO_PROCESS, low.process.pid) == 4
    assert os.getpriority(os.PRIO_PROCESS, usual.process.pid) == 0


def test_notification_waits_for_the_pipeline_unless_told_otherwise() -> None:
    assert nice_of("notification", {}) == 5
    assert nice_of("fulfillment", {}) == 0
    assert nice_of("notification", {"ORDO_NOTIFICATION_NICE": "0"}) == 0
    assert nice_of("ticketing", {"ORDO_TICKETING_NICE": "3"}) == 3
    with pytest.raises(ValueError, match="ORDO_NOTIFICATION_NICE must be a whole number"):
        nice_of("notification", {"ORDO_NOTIFICATION_NICE": "low"})
    with pytest.raises(ValueError, match="from 0 to 19, not 25"):
        nice_of("notification", {"ORDO_NOTIFICATION_NICE": "25"})
