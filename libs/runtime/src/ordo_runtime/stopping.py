"""How a service stops: within a bound, also when what it waits on has gone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)


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
