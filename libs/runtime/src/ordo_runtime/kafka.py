"""Kafka plumbing shared by services: the producer and topic creation."""

from __future__ import annotations

import random
import struct
from collections.abc import Iterable, Sequence
from functools import lru_cache

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

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
        partitioner=partition_for,
    )


def partition_for(
    key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
) -> int:
    """Kafka's default partitioner (murmur2 of the key), as aiokafka's, so a key lands where
    a Java client would put it; with the hash computed faster (see `murmur2`)."""
    if key is None:
        return random.choice(available or all_partitions)
    return all_partitions[(murmur2(key) & 0x7FFFFFFF) % len(all_partitions)]


_M, _MASK = 0x5BD1E995, 0xFFFFFFFF


@lru_cache(maxsize=8192)  # an order's events often leave in the same batch
def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2). aiokafka's assembles
    each word byte by byte with a mask per step: 8-14 us per order id here, on every record
    a relay sends. Reading the words with struct and masking once per product is about twice
    as fast; a test checks it against aiokafka's on arbitrary keys."""
    length = len(data)
    h = (0x9747B28C ^ length) & _MASK
    words = length >> 2
    for k in struct.unpack_from(f"<{words}I", data):
        k = (k * _M) & _MASK
        k = ((k ^ (k >> 24)) * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    rest, i = length & 3, words * 4
    if rest >= 3:
        h ^= data[i + 2] << 16
    if rest >= 2:
        h ^= data[i + 1] << 8
    if rest >= 1:
        h = ((h ^ data[i]) * _M) & _MASK
    h = ((h ^ (h >> 13)) * _M) & _MASK
    return h ^ (h >> 15)


async def ensure_topics(bootstrap: str, topics: Iterable[Topic], replication: int = 1) -> None:
    """Create the topics that do not exist yet. The broker answers each topic with an error
    code rather than raising: one another service created meanwhile is fine, any other
    refusal (a replication factor the cluster cannot give, a policy) is raised, so a service
    does not start consuming topics that are not there. (ordo_devstack.kafka has its own, for
    the CLI, which does not depend on the runtime.)"""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(t.name, t.partitions, replication) for t in topics if t.name not in existing
        ]
        if missing:
            response = await admin.create_topics(missing)
            for topic, code, *_ in response.topic_errors:
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise for_code(code)(f"creating topic {topic}")
    finally:
        await admin.close()
