"""Background processes run at a lower CPU priority: the process's own nice value and, where
Linux groups the CPU by session (autogroup), its session's."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ordo_devstack import EmbeddedSmtp, lower_priority
from ordo_devstack.smtp import SINK_NICE


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    process = subprocess.Popen(argv, start_new_session=True)
    yield process
    process.kill()
    process.wait()


def autogroup_nice(pid: int) -> int | None:
    """The nice value of the session's group, or None where there are no autogroups."""
    try:
        text = Path(f"/proc/{pid}/autogroup").read_text()  # "/autogroup-123 nice 7"
    except OSError:
        return None
    return int(text.split()[-1])


def test_a_process_and_its_session_get_the_lower_priority(
    sleeper: subprocess.Popen[bytes],
) -> None:
    assert lower_priority(sleeper.pid, 7)
    assert os.getpriority(os.PRIO_PROCESS, sleeper.pid) == 7
    assert autogroup_nice(sleeper.pid) in (7, None)


def test_nothing_changes_at_nice_zero_and_a_wrong_value_is_refused(
    sleeper: subprocess.Popen[bytes],
) -> None:
    assert not lower_priority(sleeper.pid, 0)
    assert os.getpriority(os.PRIO_PROCESS, sleeper.pid) == 0
    with pytest.raises(ValueError, match="0 to 19"):
        lower_priority(sleeper.pid, 20)


def test_a_process_that_has_gone_is_no_error() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    process.wait()
    assert not lower_priority(process.pid, 5)


def test_the_smtp_sink_stands_back_for_the_pipeline(tmp_path: Path) -> None:
    smtp = EmbeddedSmtp(tmp_path)
    try:
        assert os.getpriority(os.PRIO_PROCESS, smtp.process.pid) == SINK_NICE
        assert autogroup_nice(smtp.process.pid) in (SINK_NICE, None)
    finally:
        smtp.close()
