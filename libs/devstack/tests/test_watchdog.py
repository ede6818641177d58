"""The watchdog undoes what it was told once its owner has gone, and nothing once dismissed;
a sleeping process and a directory stand in for the servers and their data."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from ordo_devstack.watchdog import Watchdog

# The owner: starts a watchdog, tells it what to undo, says the watchdog's pid, waits.
OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ordo_devstack.watchdog import Watchdog

    log, server, scratch = sys.argv[1:]
    watchdog = Watchdog(Path(log))
    watchdog.remove(Path(scratch))
    watchdog.stop_processes([int(server)])
    print(watchdog.process.pid, flush=True)
    time.sleep(60)
    """
)


@pytest.fixture
def server() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    path = tmp_path / "scratch"
    path.mkdir()
    (path / "data").write_text("the server's")
    return path


def test_once_its_owner_is_killed_it_stops_the_server_and_removes_its_data(
    server: subprocess.Popen[bytes], scratch: Path, tmp_path: Path
) -> None:
    log = tmp_path / "watchdog.log"
    argv = [sys.executable, "-c", OWNER, str(log), str(server.pid), str(scratch)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE) as owner:
        assert owner.stdout is not None
        try:
            watchdog = psutil.Process(int(owner.stdout.readline()))
        finally:
            owner.kill()
    assert server.wait(10) == -signal.SIGTERM, log.read_text()
    watchdog.wait(10)
    assert not scratch.exists()
    undone = [line.split("gone: ")[1] for line in log.read_text().splitlines() if "gone: " in line]
    assert undone == [f'["stop", [{server.pid}], 5.0]', f'["remove", "{scratch}"]']  # newest first


def test_dismissed_it_leaves_everything_be(
    server: subprocess.Popen[bytes], scratch: Path, tmp_path: Path
) -> None:
    watchdog = Watchdog(tmp_path / "watchdog.log")
    watchdog.remove(scratch)
    watchdog.stop_processes([server.pid])
    watchdog.close()
    watchdog.close()
    assert watchdog.process.returncode == 0
    assert server.poll() is None
    assert scratch.exists()
