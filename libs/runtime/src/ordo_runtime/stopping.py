"""How a service stops: when asked (SIGTERM), when the process that started it has gone,
and within a bound either way."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ordo_runtime.leadership import wait_for

log = logging.getLogger(__name__)
PARENT_POLL_S = 0.5


def orphaned(parent: int) -> bool:
    """Whether process `parent`, which started this one, has gone. A child is re-parented
    (to init or a subreaper) the moment its parent dies, so asking for our parent's pid is
    exact; probing `parent`'s pid would still find it while it is a zombie, or once the pid
    is reused."""
    return os.getppid() != parent


async def watch_parent(parent: int, stop: asyncio.Event, every_s: float = PARENT_POLL_S) -> None:
    """Set `stop` once `parent` has gone: a supervisor killed with SIGKILL (say) cannot stop
    its children, and they stop as on SIGTERM instead of running on with nobody to stop them.
    `parent` comes from whoever started us (ORDO_PARENT_PID): our parent at the start would
    already be init, were it gone before we looked."""
    while not stop.is_set():
        if orphaned(parent):
            log.warning("the process that started this one (pid %s) has gone; stopping", parent)
            stop.set()
            return
        await wait_for(stop, every_s)


async def wind_down(
    tasks: Sequence[asyncio.Task[Any]], close: Callable[[], Awaitable[None]], grace_s: float
) -> None:
    """Let `tasks`, asked to stop, finish what they hold (the batch in flight, the relay's
    last sends), then `close` (the producer: a final flush), for `grace_s` at most; then abandon
    what is left.

    With the broker gone a send is acknowledged only when its request times out (40 s), and
    a consumer's commit may wait for a coordinator for ever. Abandoning them loses nothing:
    positions and events are in PostgreSQL, and the relay stores its position only once the
    broker acknowledged, so on restart it publishes again (at least once, with the same
    event ids, which consumers skip) whatever was not."""
    try:
        async with asyncio.timeout(grace_s):
            await asyncio.gather(*tasks, return_exceptions=True)
            await close()
    except TimeoutError:
        # The timeout cancelled what was still running (gather waits for it to unwind).
        late = ", ".join(t.get_name() for t in tasks if t.cancelled()) or "the final flush"
        log.warning("still stopping after %ss; abandoned %s", grace_s, late)
