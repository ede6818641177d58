"""The state file `up` writes (.ordo/stack.json) so that `simulate`, `order show` and people
can find the running stack without copying addresses around."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

STATE_DIR = Path(os.environ.get("ORDO_STATE_DIR", ".ordo"))


@dataclass(frozen=True)
class StackInfo:
    pid: int
    kafka_bootstrap: str
    database_url: str
    smtp: str
    run_dir: str
    services: dict[str, str] = field(default_factory=dict)  # name -> base URL
    tokens: dict[str, str] = field(default_factory=dict)  # role -> this run's API token

    def url(self, service: str) -> str | None:
        return self.services.get(service)


def state_file(state_dir: Path = STATE_DIR) -> Path:
    return state_dir / "stack.json"


def write(info: StackInfo, state_dir: Path = STATE_DIR) -> Path:
    path = state_file(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(info), indent=2))
    tmp.chmod(0o600)  # it holds the run's API tokens
    tmp.replace(path)
    return path


def remove(state_dir: Path = STATE_DIR) -> None:
    state_file(state_dir).unlink(missing_ok=True)


def load(state_dir: Path = STATE_DIR) -> StackInfo | None:
    """The running stack's addresses, or None when there is no file or its `up` has died."""
    try:
        info = StackInfo(**json.loads(state_file(state_dir).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return info if psutil.pid_exists(info.pid) else None


def token(role: str = "manager", state_dir: Path = STATE_DIR) -> str | None:
    """The API token to send: ORDO_TOKEN, else a running `up`'s token for `role`."""
    if found := os.environ.get("ORDO_TOKEN"):
        return found
    info = load(state_dir)
    return info.tokens.get(role) if info else None


def resolve(given: str | None, service: str, env_var: str, state_dir: Path = STATE_DIR) -> str:
    """An address from, in order: the command line, a running `up`, the environment."""
    if given:
        return given.rstrip("/")
    info = load(state_dir)
    found = (info.kafka_bootstrap if service == "kafka" else info.url(service)) if info else None
    found = found or os.environ.get(env_var)
    if not found:
        raise LookupError(
            f"no address for {service}: pass it as an option, set {env_var}, or run `ordo up`"
        )
    return found.rstrip("/")
