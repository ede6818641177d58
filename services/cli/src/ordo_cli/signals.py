"""Signal handling for the long-running commands: one clean shutdown path for Ctrl-C,
SIGTERM and SIGHUP, which must not be cut short halfway."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from types import FrameType

Handler = Callable[[int, FrameType | None], None] | int | signal.Handlers


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
def _handling(handlers: Mapping[int, Handler]) -> Iterator[None]:
    """`handlers` installed for the block, the previous ones put back after it."""
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def sigterm_as_interrupt() -> AbstractContextManager[None]:
    """SIGTERM (docker stop, systemd, kill) and SIGHUP (the terminal closed) end the run
    exactly as Ctrl-C does. Left to their defaults they ended the process on the spot, and
    the broker, PostgreSQL, the SMTP sink and the services, each in a session of its own, ran
    on with nobody to stop them. SIGINT is taken too: a shell starts a command run in the
    background (`ordo up &` in a script) with SIGINT ignored, and Python then leaves it so,
    so `kill -INT` did nothing."""
    return _handling(
        {
            signal.SIGINT: signal.default_int_handler,
            signal.SIGTERM: _interrupt,
            signal.SIGHUP: _hang_up,
        }
    )


STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def shielded() -> AbstractContextManager[None]:
    """Ignore Ctrl-C, SIGTERM and SIGHUP while stopping: a second press would otherwise leave
    the broker or database running without anyone to stop them. Stopping is bounded anyway."""
    return _handling(dict.fromkeys(STOPPING, signal.SIG_IGN))
