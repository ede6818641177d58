"""Kafka plumbing shared by services: the producer and topic creation."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from ordo_events.topics import Topic


def producer(bootstrap: str, client_id: str, linger_ms: int = 5) -> AIOKafkaProducer:
    # No idempotent producer: Tansu refuses InitProducerId, and correctness comes from the
    # outbox and idempotent consumers anyway. acks=all so a real cluster loses nothing acked.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        linger_ms=linger_ms,
        max_batch_size=256 * 1024,
        enable_idempotence=False,
    )


async def ensure_topics(bootstrap: str, topics: Iterable[Topic], replication: int = 1) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(t.name, t.partitions, replication) for t in topics if t.name not in existing
        ]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another service created them first
    finally:
        await admin.close()
