"""A small process supervisor: start services, wait for /ready, notice deaths, stop them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ordo_devstack import lower_priority


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    argv: Sequence[str]
    port: int
    env: Mapping[str, str] = field(default_factory=dict)
    nice: int = 0  # a lower CPU priority (0 to 19), for background work (see up.NICE)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {log})"


class ServiceDied(RuntimeError):
    def __init__(self, name: str, code: int | None, log: Path) -> None:
        self.name, self.code, self.log = name, code, log
        super().__init__(f"{name} exited with code {code}; log: {log}")


class NotReady(TimeoutError):
    def __init__(self, logs: Mapping[str, Path], after: float) -> None:
        self.logs = dict(logs)  # name -> log of each service that did not become ready
        super().__init__(f"not ready after {after:.0f}s: {', '.join(logs)}")


@dataclass
class Child:
    spec: ServiceSpec
    process: subprocess.Popen[bytes]
    log: Path


class Supervisor:
    """Owns the service processes; `stop()` ends all of them, also after a failure."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: dict[str, Child] = {}
        self._started: set[str] = set()

    def start(self, spec: ServiceSpec) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{spec.name}.log"
        # ORDO_PARENT_PID: a service stops by itself once this process has gone (killed with
        # SIGKILL, say, before it could stop them; see ordo_runtime.stopping).
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            **spec.env,
            "ORDO_PARENT_PID": str(os.getpid()),
        }
        # A restart appends: what the process that went before wrote (why it died, say)
        # stays readable. Each run's first start begins the log afresh.
        with log.open("ab" if spec.name in self._started else "wb") as out:
            # Own session: a terminal Ctrl-C reaches only us, so we can stop the services
            # first and the broker and database after them, instead of all at once.
            process = subprocess.Popen(
                list(spec.argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        lower_priority(process.pid, spec.nice)
        self._started.add(spec.name)
        child = self.children[spec.name] = Child(spec, process, log)
        return child

    def check(self) -> None:
        """Raise ServiceDied for the first child that has exited."""
        for child in self.children.values():
            code = child.process.poll()
            if code is not None:
                raise ServiceDied(child.spec.name, code, child.log)

    def wait_ready(self, deadline_s: float = 90.0, poll_s: float = 0.2) -> None:
        """Wait until every child answers GET /ready with 200; fail fast if one dies."""
        waiting = dict(self.children)
        started = time.monotonic()
        # A short timeout and a death check before each probe: services still starting
        # on a busy machine answer slowly, and a dead one must not wait behind them.
        with httpx.Client(timeout=0.5) as http:
            while waiting:
                for name, child in list(waiting.items()):
                    self.check()
                    if _ready(http, child.spec.url):
                        del waiting[name]
                if not waiting:
                    return
                if time.monotonic() - started > deadline_s:
                    raise NotReady({n: c.log for n, c in sorted(waiting.items())}, deadline_s)
                time.sleep(poll_s)

    def stop(self, grace_s: float = 15.0) -> dict[str, int | None]:
        """SIGTERM every child, SIGKILL those still running after `grace_s`; exit codes."""
        running = [c for c in self.children.values() if c.process.poll() is None]
        for child in running:
            _signal(child.process, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for child in running:
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(child.process, signal.SIGKILL)
                child.process.wait()
        return {name: c.process.returncode for name, c in self.children.items()}

    def pids(self) -> dict[str, int]:
        return {name: c.process.pid for name, c in self.children.items()}


def _ready(http: httpx.Client, url: str) -> bool:
    try:
        return http.get(f"{url}/ready").status_code == 200
    except httpx.HTTPError:
        return False


def _signal(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # The whole process group: a service that forked workers takes them along.
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
