"""How simulate and show find the stack `up` started."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ordo_cli import state


def info(pid: int) -> state.StackInfo:
    return state.StackInfo(
        pid=pid,
        kafka_bootstrap="127.0.0.1:9999",
        database_url="postgresql://postgres@/postgres?host=/tmp/x",
        smtp="127.0.0.1:2525",
        run_dir=".ordo/run",
        services={"ticketing": "http://127.0.0.1:8006/"},
    )


def test_options_win_then_the_running_stack_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_TICKETING_URL", "http://env:1")
    assert state.resolve(None, "ticketing", "ORDO_TICKETING_URL", tmp_path) == "http://env:1"
    state.write(info(os.getpid()), tmp_path)
    assert state.resolve(None, "ticketing", "ORDO_TICKETING_URL", tmp_path) == (
        "http://127.0.0.1:8006"
    )
    assert state.resolve(None, "kafka", "KAFKA_BOOTSTRAP_SERVERS", tmp_path) == "127.0.0.1:9999"
    assert state.resolve("http://given:2/", "ticketing", "X", tmp_path) == "http://given:2"
    state.remove(tmp_path)
    assert state.load(tmp_path) is None


def test_a_state_file_left_by_a_dead_up_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORDO_INVENTORY_URL", raising=False)
    state.write(info(pid=2**22 + 12345), tmp_path)  # above Linux's pid_max default
    assert state.load(tmp_path) is None
    with pytest.raises(LookupError, match="ordo up"):
        state.resolve(None, "inventory", "ORDO_INVENTORY_URL", tmp_path)
