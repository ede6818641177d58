"""A watchdog for the embedded servers: a process of its own that stops them, and removes
their directories, once the process that started them has gone without doing so itself
(killed with SIGKILL, say, or crashed before its cleanup ran).

It learns what to undo as each server starts, one JSON line at a time on its stdin, a pipe
from its owner. Only the owner holds the pipe's other end, so the pipe's end (EOF) means the
owner has gone, however it went: unlike a parent-death signal it does not depend on which of
the owner's threads started it, and unlike polling the owner's pid it cannot be fooled by a
zombie or a reused pid. A PostgreSQL server would escape anything that watches a child: pg_ctl
starts it as a daemon. On a clean close the owner undoes everything itself, then says "done"
and the watchdog exits without doing anything.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import IO

import psutil

from ordo_devstack._net import stop_process

GRACE_S = 5.0
# A fast shutdown takes well under this; it is never cut short with SIGKILL.
POSTGRES_GRACE_S = 60.0
DONE = "done"


class Watchdog:
    """The owner's side: start the watchdog, tell it what to undo, dismiss it on close."""

    def __init__(self, log: Path) -> None:
        serve = "from ordo_devstack.watchdog import main; main()"  # -m would import it twice
        with log.open("wb") as out:
            # Own session: a Ctrl-C in the terminal must not end it before the stack is closed.
            self.process = subprocess.Popen(
                [sys.executable, "-c", serve],
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        assert self.process.stdin is not None
        self._pipe: IO[bytes] = self.process.stdin

    def stop_processes(self, pids: Iterable[int], grace: float = GRACE_S) -> None:
        """SIGTERM processes `pids` together, SIGKILL those left after `grace`, if this one
        goes first."""
        self._tell("stop", list(pids), grace)

    def stop_postgres(self, pgdata: Path) -> None:
        """Stop the PostgreSQL server of `pgdata` with a fast shutdown if this one goes first.
        Told before the server starts, it stops a server still starting too."""
        self._tell("postgres", str(pgdata))

    def remove(self, path: Path) -> None:
        """Remove directory `path` if this process goes first."""
        self._tell("remove", str(path))

    def close(self) -> None:
        """Dismiss the watchdog: the owner has undone everything itself. Safe to call twice."""
        if not self._pipe.closed:
            self._tell(DONE)
            with contextlib.suppress(BrokenPipeError):
                self._pipe.close()
        try:
            self.process.wait(GRACE_S)
        except subprocess.TimeoutExpired:
            stop_process(self.process)

    def _tell(self, *entry: str | float | list[int]) -> None:
        # A safety net only: were it gone (killed by someone), the stack works on without it.
        with contextlib.suppress(BrokenPipeError):
            self._pipe.write(json.dumps(entry).encode() + b"\n")
            self._pipe.flush()


def main() -> None:
    undo: list[tuple[str, Callable[[], object]]] = []  # (as told, how to undo it)
    for line in sys.stdin:
        kind, *args = json.loads(line)
        if kind == DONE:
            return
        if kind == "stop":
            pids, grace = args
            undo.append((line, partial(_stop, _processes(pids), grace)))
        elif kind == "postgres":
            undo.append((line, partial(fast_shutdown, Path(args[0]))))
        elif kind == "remove":
            undo.append((line, partial(shutil.rmtree, args[0], ignore_errors=True)))
    # The owner has gone without saying "done": undo, newest first, as the owner would have
    # (services, broker, database, mail sink).
    for told, action in reversed(undo):
        _say(f"the owner has gone: {told.strip()}")
        try:
            action()
        except Exception as exc:  # the rest must still be undone
            _say(f"failed: {exc!r}")
    _say("done")


def _say(what: str) -> None:
    print(time.strftime("%H:%M:%S"), what, flush=True)


def _processes(pids: list[int]) -> list[psutil.Process]:
    """Looked up now, while they surely run: psutil then refuses to signal a pid's next owner."""
    found = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            found.append(psutil.Process(pid))
    return found


def _stop(processes: list[psutil.Process], grace: float) -> None:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    for process in _wait(processes, grace):
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()


def _wait(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until `processes` have ended; those still running after `timeout`. Ended counts
    from exit, not from reaping: their parent has gone, and init may take its time."""
    deadline = time.monotonic() + timeout
    while (running := [p for p in processes if _running(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return running


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running()) and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def fast_shutdown(pgdata: Path, grace: float = POSTGRES_GRACE_S) -> None:
    """A fast shutdown of the server on `pgdata`, if one runs: SIGINT to its postmaster, as
    `pg_ctl stop -m fast` sends (which, run as root, would have to switch to the data's
    owner). Sessions are ended and a checkpoint written; nothing waits for clients."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        if postmaster.name() != "postgres":
            return  # a stale pid file, its pid reused
        postmaster.send_signal(signal.SIGINT)
        _wait([postmaster], grace)
    except (FileNotFoundError, ValueError, IndexError, psutil.NoSuchProcess):
        pass  # not running (any more)
