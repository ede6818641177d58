"""Signal handling for the long-running commands: one clean shutdown path for Ctrl-C,
SIGTERM and SIGHUP, which must not be cut short halfway."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _hang_up(signum: int, frame: FrameType | None) -> None:
    """The terminal went away: nothing can be printed any more (a write would fail halfway
    through stopping), but everything must still be stopped."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (docker stop, systemd, kill) and SIGHUP (the terminal closed) end the run
    exactly as Ctrl-C does. Left to their defaults they ended the process on the spot, and
    the broker, PostgreSQL, the SMTP sink and the services, each in a session of its own, ran
    on with nobody to stop them."""
    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, _interrupt),
        signal.SIGHUP: signal.signal(signal.SIGHUP, _hang_up),
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def shielded() -> Iterator[None]:
    """Ignore Ctrl-C, SIGTERM and SIGHUP while stopping: a second press would otherwise leave
    the broker or database running without anyone to stop them. Stopping is bounded anyway."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOPPING}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
