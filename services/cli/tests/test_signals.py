"""The long-running commands stop cleanly on every signal that asks them to."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

WAIT_FOR_A_SIGNAL = """
import sys, time
from ordo_cli.signals import sigterm_as_interrupt
with sigterm_as_interrupt():
    try:  # "ready" inside: the signal may come as soon as it is read
        print("ready", flush=True)
        time.sleep(30)
    except KeyboardInterrupt:
        print("stopping", flush=True)
"""


def ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell starts a background job


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_the_run_even_when_started_with_sigint_ignored(signum: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", WAIT_FOR_A_SIGNAL],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=ignoring_sigint,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    started = time.monotonic()
    process.send_signal(signum)
    out, _ = process.communicate(timeout=20)
    assert time.monotonic() - started < 20
    # SIGHUP points stdout at /dev/null first (the terminal is gone): only the exit tells.
    assert process.returncode == 0
    assert out.strip() == ("" if signum == signal.SIGHUP else "stopping")
