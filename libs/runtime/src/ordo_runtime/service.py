"""A service is its handlers, projections and routes; the runtime runs them.

service = Service("inventory", handlers=EVENT_HANDLERS, http=router_app)
main(service)   # in the service's __main__
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import Tracking
from fastapi import FastAPI

from ordo_events.events import Event
from ordo_events.topics import ALL_TOPICS, Topic, topic_for
from ordo_runtime.auth import Authenticator, secure
from ordo_runtime.consumer import BatchConsumer
from ordo_runtime.http import add_probes, serve
from ordo_runtime.kafka import ensure_topics, producer
from ordo_runtime.logs import setup_logging
from ordo_runtime.outbox import outgoing
from ordo_runtime.processor import Handler, Prefetch, Processor, RawHandler
from ordo_runtime.projection import Projection, ProjectionSink
from ordo_runtime.relay import Relay
from ordo_runtime.settings import Settings, with_database
from ordo_runtime.stopping import watch_parent, wind_down
from ordo_runtime.store import ServiceApplication, UnitOfWork
from ordo_runtime.tracing import child_of, current_traceparent, recording, setup_tracing, tracer

log = logging.getLogger(__name__)
Task = Callable[["Runtime", asyncio.Event], Coroutine[Any, Any, None]]


def group_of(name: str) -> str:
    """The consumer group, and the namespace of the ids, of the service called `name`."""
    return f"ordo-{name}"


def source_of(name: str) -> str:
    """The CloudEvents source of what the service called `name` publishes."""
    return f"/ordo/{name}"


@dataclass
class Service:
    name: str
    handlers: Mapping[type[Event], Handler] = field(default_factory=dict)
    raw_handlers: Mapping[str, RawHandler] = field(default_factory=dict)
    projections: Sequence[Projection] = ()
    http: FastAPI = field(default_factory=FastAPI)
    tasks: Sequence[Task] = ()
    prefetch: Prefetch | None = None
    # How often a thread waiting for the GIL gets it (sys.setswitchinterval); None keeps
    # Python's 5 ms. Batches run on a worker thread while the event loop does the Kafka
    # fetches and the relay's sends; a service whose loop does a chatty protocol beside them
    # (the mailer's SMTP, a round trip per command) wants it shorter. Shorter for every
    # service cost ~8% more CPU per order (three alternating bench pairs, 0.5 against 5 ms).
    gil_switch_interval_s: float | None = None

    @property
    def group(self) -> str:
        return group_of(self.name)

    @property
    def source(self) -> str:
        return source_of(self.name)

    def consumed_topics(self) -> list[str]:
        names = {topic_for(cls).name for cls in self.handlers} | set(self.raw_handlers)
        return sorted(names)


class Runtime:
    """A running service: its store, database pool, producer, consumers and relay."""

    def __init__(self, service: Service, settings: Settings):
        self.service, self.settings = service, settings
        self.database = settings.service_database or f"ordo_{service.name}"
        self.database_url = with_database(settings.database_url, self.database)
        self.stop = asyncio.Event()
        self.app: ServiceApplication
        self.pool: asyncpg.Pool
        self.producer: AIOKafkaProducer
        self.relay: Relay
        self.processor: Processor
        self.consumers: list[BatchConsumer] = []
        self.started = False

    async def start(self) -> None:
        await create_database(self.settings.database_url, self.database)
        self.app = await asyncio.to_thread(ServiceApplication, self.service.name, self.settings)
        self.pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=4)
        await ensure_topics(self.settings.kafka_bootstrap_servers, ALL_TOPICS)
        self.producer = producer(
            self.settings.kafka_bootstrap_servers,
            self.service.group,
            self.settings.producer_linger_ms,
        )
        await self.producer.start()
        self.relay = Relay(
            self.app,
            self.producer,
            self.database_url,
            self.settings.relay_batch,
            self.settings.relay_idle_ms / 1000,
        )
        self.processor = Processor(
            self.app,
            self.service.group,
            self.service.source,
            self.service.handlers,
            self.service.raw_handlers,
            self.service.prefetch,
        )
        if self.service.consumed_topics():
            self.consumers.append(
                BatchConsumer(
                    self.service.group,
                    self.service.consumed_topics(),
                    _Waking(self.processor, self.relay),
                    self.settings,
                )
            )
        for projection in self.service.projections:
            sink = ProjectionSink(self.pool, projection)
            await sink.setup()
            topics = [t.name for t in projection_topics(projection)]
            self.consumers.append(
                BatchConsumer(
                    f"{self.service.group}-{projection.name}", topics, sink, self.settings
                )
            )

    async def run(self) -> None:
        # Before anything starts: a service without tokens must not come up half-guarded.
        auth = Authenticator.from_settings(self.settings)
        await self.start()
        http = self.service.http
        http.state.runtime = self
        add_probes(http)
        secure(http, auth)
        jobs = [
            asyncio.create_task(self.relay.run(self.stop), name="relay"),
            *[asyncio.create_task(c.run(self.stop), name=c.group) for c in self.consumers],
            *[
                asyncio.create_task(t(self, self.stop), name=getattr(t, "__name__", None))
                for t in self.service.tasks
            ],
        ]
        if (parent := self.settings.ordo_parent_pid) is not None:
            jobs.append(asyncio.create_task(watch_parent(parent, self.stop), name="parent"))
        server = asyncio.create_task(
            serve(http, self.settings.http_host, self.settings.http_port, self.stop), name="http"
        )
        self.started = True
        log.info("%s ready on :%s", self.service.name, self.settings.http_port)
        tasks = [*jobs, server]
        failures: list[BaseException] = []

        def ended(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and (exc := task.exception()) is not None:
                failures.append(exc)
                self.stop.set()  # a job that fails ends the run: the others stop as on SIGTERM

        for task in tasks:
            task.add_done_callback(ended)
        # Wind down as soon as asked: not once every job has ended, which a job waiting on
        # a broker that has gone may not do for a long while.
        await self.stop.wait()
        cause = failures[:1]  # what ended the run, not what failed while stopping
        await wind_down(tasks, self.producer.stop, self.settings.shutdown_grace_s)
        await self.pool.close()
        self.app.close()
        if cause:
            raise cause[0]

    async def execute(
        self,
        command: Callable[[UnitOfWork], Sequence[Event]],
        cause_id: str | None = None,
        tracking: Tracking | None = None,
    ) -> list[Event]:
        """Run a command from outside Kafka (an HTTP call, a background task): its aggregate
        changes and the events it returns are stored in one transaction, with `tracking`
        (a follower's position) when given, and the relay publishes them."""

        def write() -> list[Event]:
            uow = UnitOfWork(self.app, tracking)
            if recording():
                with tracer.start_as_current_span(f"{self.service.group} command"):
                    events = list(command(uow))
                    parent = current_traceparent()
            else:
                events, parent = list(command(uow)), child_of(None)
            ids = [
                uuid.uuid5(uuid.NAMESPACE_URL, f"{self.service.group}/{cause_id}/{n}")
                if cause_id
                else uuid.uuid4()
                for n in range(len(events))
            ]
            uow.publish(*outgoing(events, self.service.source, parent, ids))
            try:
                uow.commit()
            except Exception:
                uow.discard()
                raise
            return events

        events = await asyncio.to_thread(write)
        self.relay.wake.set()
        return events

    async def readiness_problems(self) -> list[str]:
        problems = []
        if not self.started:
            problems.append("starting")
        try:
            await self.pool.fetchval("SELECT 1")
        except (OSError, asyncpg.PostgresError) as exc:
            problems.append(f"database: {exc}")
        problems += [f"{c.group}: not consuming" for c in self.consumers if c._consumer is None]
        return problems

    def metrics(self) -> dict[str, Any]:
        return {
            "service": self.service.name,
            "consumed": {c.group: c.processed for c in self.consumers},
            "assigned": {c.group: c.assignment() for c in self.consumers},
            "published": self.relay.published,
            "relay_read_back": self.relay.tail.read_back,
            "relay_leader": self.relay.leader,
            "dead_lettered": self.processor.dead_lettered,
            "duplicates_skipped": self.processor.duplicates,
            "conflicts_deferred": {c.group: c.conflicts for c in self.consumers},
            "batches": self.processor.batches,
            "seconds_in_batches": round(self.processor.busy_s, 3),
        }


class _Waking:
    """Wakes the relay as soon as a batch is stored, instead of waiting for its next poll."""

    def __init__(self, processor: Processor, relay: Relay):
        self.processor, self.relay = processor, relay
        self.positions = processor.positions

    async def process(self, batches: Any) -> None:
        await self.processor.process(batches)
        self.relay.wake.set()


def projection_topics(projection: Projection) -> Sequence[Topic]:
    topics: Sequence[Topic] = getattr(projection, "topics", ())
    return topics


async def create_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            except asyncpg.DuplicateDatabaseError:
                pass  # a sibling replica created it
    finally:
        await conn.close()


def main(service: Service) -> None:
    """Entry point of a service process: runs until SIGTERM or SIGINT, or until the process
    named by ORDO_PARENT_PID (its supervisor) has gone; then stops cleanly."""
    setup_logging()
    setup_tracing(service.name)
    if service.gil_switch_interval_s is not None:
        sys.setswitchinterval(service.gil_switch_interval_s)

    async def run() -> None:
        runtime = Runtime(service, Settings())
        # A consumer allocates many short-lived objects per record; the default thresholds
        # ran a young-generation collection every ~700 allocations. Cycles are still found.
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, runtime.stop.set)
        await runtime.run()

    asyncio.run(run())
