"""One replica at a time: work that must not run twice at once (the outbox relay, a mailer)
runs only while its replica holds a PostgreSQL advisory lock on the service's database.

The lock belongs to a connection of its own, so it is released when the work ends or when the
replica dies and PostgreSQL drops the connection; a standby then takes over within a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg

STANDBY_POLL_S = 1.0


async def lead(
    database_url: str, key: int, stop: asyncio.Event, work: Callable[[], Awaitable[None]]
) -> bool:
    """Wait until this replica holds advisory lock `key`, then run `work` while holding it and
    return True. Returns False without running it if `stop` is set first: a standby has
    nothing of its own to finish, what is stored is the leader's to handle."""
    lock = await asyncpg.connect(database_url)
    try:
        while not stop.is_set():
            if await lock.fetchval("SELECT pg_try_advisory_lock($1)", key):
                await work()
                return True
            await wait_for(stop, STANDBY_POLL_S)  # another replica leads; stand by
        return False
    finally:
        await lock.close()


async def wait_for(event: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds` for `event`; True if it is set. For followers of the log (the
    relay, a service's mailer) that poll between batches and stop when asked."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
    return event.is_set()
