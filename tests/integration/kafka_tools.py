"""Reading and writing topics directly, the way a channel or an auditor would."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from ordo_events.envelope import Envelope, UndecodableMessage, decode


async def _read(bootstrap: str, topic: str) -> list[tuple[bytes | None, list[tuple[str, bytes]]]]:
    # "earliest" as well as the seek below: with aiokafka's default ("latest"), a reset that
    # races the seek (seen on Tansu) starts a partition at its end, and earlier records are
    # silently missed.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            await consumer.force_metadata_update()
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()
            ]
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        out: list[tuple[bytes | None, list[tuple[str, bytes]]]] = []
        # Tansu's ListOffsets can report an end below what is readable, so read past it
        # until the broker has nothing more to give.
        quiet = 0
        while quiet < 3 or [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            batches = await consumer.getmany(timeout_ms=500)
            quiet = 0 if batches else quiet + 1
            for records in batches.values():
                out += [(r.value, list(r.headers)) for r in records]
        return out
    finally:
        await consumer.stop()


def read_events(bootstrap: str, topic: str) -> list[Envelope]:
    envelopes = []
    for value, headers in asyncio.run(_read(bootstrap, topic)):
        try:
            envelopes.append(decode(value, headers))
        except UndecodableMessage:
            continue
    return envelopes


def read_raw(bootstrap: str, topic: str) -> list[tuple[bytes | None, list[tuple[str, bytes]]]]:
    return asyncio.run(_read(bootstrap, topic))


async def _send(
    bootstrap: str, topic: str, records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value, key=key, headers=headers)
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def send(
    bootstrap: str, topic: str, records: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]
) -> None:
    asyncio.run(_send(bootstrap, topic, records))
