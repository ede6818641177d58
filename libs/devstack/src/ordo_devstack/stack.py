"""The dev stack: a Kafka broker, a PostgreSQL server and an SMTP sink, from wherever the
environment says (given addresses, Docker containers, or embedded processes)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from ordo_devstack import containers
from ordo_devstack.kafka import EMBEDDED_PARTITIONS, EmbeddedKafka
from ordo_devstack.postgres import MAX_CONNECTIONS, EmbeddedPostgres
from ordo_devstack.smtp import EmbeddedSmtp, Mailbox
from ordo_devstack.watchdog import Watchdog


@dataclass
class Stack:
    kafka_bootstrap: str
    database_url: str
    smtp_host: str
    smtp_port: int
    mailbox: Mailbox
    workdir: Path
    # Where each server came from, e.g. {"kafka": "embedded", "postgres": "environment"}.
    origins: dict[str, str] = field(default_factory=dict)
    # Process ids of the servers started as local processes, e.g. {"kafka": 4242}.
    pids: dict[str, int] = field(default_factory=dict)
    # Stops them should this process go without closing the stack; told of other processes
    # using the stack (services), it stops those first.
    watchdog: Watchdog | None = field(default=None, repr=False)
    _exits: ExitStack = field(default_factory=ExitStack, repr=False)

    @property
    def most_partitions(self) -> int | None:
        """The partitions a topic gets at most on this stack's broker (None: the registry's)."""
        return EMBEDDED_PARTITIONS if self.origins.get("kafka") == "embedded" else None

    def env(self) -> dict[str, str]:
        """The variables Ordo's services read to find the stack."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap,
            "DATABASE_URL": self.database_url,
            "SMTP_HOST": self.smtp_host,
            "SMTP_PORT": str(self.smtp_port),
        }

    def close(self) -> None:
        """Stop everything this stack started, newest first; safe to call twice."""
        self._exits.close()

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def start_stack(
    workdir: Path | str | None = None, *, environ: Mapping[str, str] | None = None
) -> Stack:
    """Start (or find) the servers. KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL, when set, are
    used as they are; otherwise ORDO_TESTCONTAINERS=1 starts Docker containers, and by default
    the embedded servers run as local processes. SMTP is always the embedded sink, so that
    received mail can be read back. Logs and the mailbox go under `workdir` (a temporary
    directory, removed on close, when not given). `environ` replaces os.environ for these
    choices; `environ={}` always starts fresh embedded servers. Should this process go
    without closing the stack (SIGKILL), a watchdog process stops the embedded servers."""
    env = os.environ if environ is None else environ
    exits = ExitStack()
    try:
        if workdir is None:
            path = Path(tempfile.mkdtemp(prefix="ordo-stack-"))
            exits.callback(shutil.rmtree, path, ignore_errors=True)
        else:
            path = Path(workdir).resolve()
            path.mkdir(parents=True, exist_ok=True)
        # Closed after the servers: until then it stops them should this process go first.
        watchdog = Watchdog(path / "watchdog.log")
        exits.callback(watchdog.close)
        if workdir is None:
            watchdog.remove(path)
        docker = env.get("ORDO_TESTCONTAINERS") == "1"
        origins: dict[str, str] = {}
        pids: dict[str, int] = {}
        smtp = EmbeddedSmtp(path, watchdog=watchdog)
        exits.callback(smtp.close)
        origins["smtp"] = "embedded"
        pids["smtp"] = smtp.process.pid
        database_url, origins["postgres"] = _postgres(
            exits, docker, env.get("DATABASE_URL"), pids, watchdog
        )
        kafka_bootstrap, origins["kafka"] = _kafka(
            exits, docker, env.get("KAFKA_BOOTSTRAP_SERVERS"), path, pids, watchdog
        )
    except BaseException:
        exits.close()
        raise
    return Stack(
        kafka_bootstrap=kafka_bootstrap,
        database_url=database_url,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        mailbox=smtp.mailbox,
        workdir=path,
        origins=origins,
        pids=pids,
        watchdog=watchdog,
        _exits=exits,
    )


def _kafka(
    exits: ExitStack,
    docker: bool,
    given: str | None,
    workdir: Path,
    pids: dict[str, int],
    watchdog: Watchdog,
) -> tuple[str, str]:
    if given:
        return given, "environment"
    if docker:
        return containers.start_kafka_container(exits), "container"
    kafka = EmbeddedKafka(workdir, watchdog=watchdog)
    exits.callback(kafka.close)
    pids["kafka"] = kafka.process.pid
    return kafka.bootstrap, "embedded"


def _postgres(
    exits: ExitStack, docker: bool, given: str | None, pids: dict[str, int], watchdog: Watchdog
) -> tuple[str, str]:
    if given:
        return given, "environment"
    if docker:
        return containers.start_postgres_container(exits, MAX_CONNECTIONS), "container"
    postgres = EmbeddedPostgres(watchdog=watchdog)
    exits.callback(postgres.close)
    if postgres.pid is not None:
        pids["postgres"] = postgres.pid
    return postgres.url, "embedded"
