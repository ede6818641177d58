"""The embedded stack on real servers: Tansu, PostgreSQL and the SMTP sink."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import mailbox
import smtplib
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from unittest.mock import create_autospec

import asyncpg
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition

from ordo_devstack import Stack, ensure_topics, start_stack
from ordo_devstack._net import run_sync
from ordo_devstack.kafka import EMBEDDED_PARTITIONS, STOP_GRACE_S, EmbeddedKafka
from ordo_devstack.postgres import THROWAWAY, _fetchval
from ordo_devstack.watchdog import Watchdog
from ordo_events.topics import ALL_TOPICS, Topic

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # environ={}: embedded servers even where the environment names other ones.
    with start_stack(tmp_path_factory.mktemp("stack"), environ={}) as started:
        yield started


def test_embedded_servers_are_used_by_default(stack: Stack) -> None:
    assert stack.origins == {"smtp": "embedded", "postgres": "embedded", "kafka": "embedded"}
    assert stack.env() == {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "DATABASE_URL": stack.database_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(stack.smtp_port),
    }
    assert (stack.workdir / "tansu.log").exists()


async def test_topics_are_created_once_with_their_partitions(stack: Stack) -> None:
    assert sorted(await ensure_topics(stack.kafka_bootstrap)) == sorted(t.name for t in ALL_TOPICS)
    assert await ensure_topics(stack.kafka_bootstrap) == []
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([t.name for t in ALL_TOPICS])
    finally:
        await admin.close()
    partitions = {d["topic"]: len(d["partitions"]) for d in described}
    assert partitions == {t.name: t.partitions for t in ALL_TOPICS}


async def test_the_embedded_broker_gets_at_most_its_partitions(stack: Stack) -> None:
    wide = Topic(f"scratch.wide.{uuid.uuid4().hex[:8]}", "test", (), partitions=6)
    narrow = Topic(f"scratch.narrow.{uuid.uuid4().hex[:8]}", "test", (), partitions=1)
    assert stack.most_partitions == EMBEDDED_PARTITIONS < wide.partitions
    await ensure_topics(stack.kafka_bootstrap, [wide, narrow], most=stack.most_partitions)
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([wide.name, narrow.name])
    finally:
        await admin.close()
    partitions = {d["topic"]: len(d["partitions"]) for d in described}
    assert partitions == {wide.name: EMBEDDED_PARTITIONS, narrow.name: 1}


def test_a_configured_broker_keeps_the_registrys_partitions(stack: Stack) -> None:
    given = dataclasses.replace(stack, origins={**stack.origins, "kafka": "environment"})
    assert given.most_partitions is None


async def test_a_message_round_trips_with_its_headers(stack: Stack) -> None:
    topic = Topic(f"scratch.{uuid.uuid4().hex[:8]}", "test", (), partitions=1)
    await ensure_topics(stack.kafka_bootstrap, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap)
    await producer.start()
    try:
        headers = [("ce_type", b"OrderReceived"), ("ce_id", b"1")]
        await producer.send_and_wait(topic.name, b'{"a": 1}', key=b"order-1", headers=headers)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.kafka_bootstrap,
        group_id=f"g-{topic.name}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic.name, 0)])
        await consumer.seek_to_beginning()
        record = await consumer.getone()
        await consumer.commit()
        assert (record.key, record.value) == (b"order-1", b'{"a": 1}')
        assert list(record.headers) == headers
    finally:
        await consumer.stop()


async def test_postgres_accepts_connections_and_creates_databases(stack: Stack) -> None:
    conn = await asyncpg.connect(stack.database_url)
    try:
        assert await conn.fetchval("SHOW max_connections") == "300"
        await conn.execute("CREATE DATABASE ordo_devstack_test")
        assert await conn.fetchval(
            "SELECT count(*) FROM pg_database WHERE datname = 'ordo_devstack_test'"
        )
    finally:
        await conn.close()


def test_sent_mail_lands_in_the_mailbox(stack: Stack) -> None:
    before = len(stack.mailbox)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ordo@shop.test", "ala@x.pl", "Zamówienie"
    message.set_content("Twoje zamówienie jest w drodze.")
    with smtplib.SMTP(stack.smtp_host, stack.smtp_port) as smtp:
        smtp.send_message(message)
    mail = stack.mailbox.wait_for(before + 1, timeout=5)[-1]
    assert (mail.sender, mail.recipients) == ("ordo@shop.test", ("ala@x.pl",))
    assert mail.message["Subject"] == "Zamówienie"
    # The envelope travels in the mbox as a delivering server's trace headers, and is taken
    # out of the message as read back: it is what was sent.
    assert mail.raw.startswith(b"Return-Path: <ordo@shop.test>\nDelivered-To: ala@x.pl\n")
    assert "Return-Path" not in mail.message
    assert "Delivered-To" not in mail.message
    assert "w drodze" in mail.message.get_content()
    # Any mbox reader reads the same mail: the standard library's, here.
    kept = list(mailbox.mbox(stack.mailbox.path))[before]
    assert kept["Delivered-To"] == "ala@x.pl"
    payload = kept.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert "w drodze" in payload.decode()

    with smtplib.SMTP(stack.smtp_host, stack.smtp_port) as smtp:
        for _ in range(3):
            smtp.send_message(message)
    stack.mailbox.wait_for_count(before + 4, timeout=5)
    assert len(stack.mailbox) == before + 4
    with pytest.raises(TimeoutError, match=f"{before + 4} of {before + 5} mails"):
        stack.mailbox.wait_for_count(before + 5, timeout=0.2)


def test_each_mail_keeps_its_own_envelope_however_often_an_address_comes(stack: Stack) -> None:
    """The sink remembers the addresses it parsed: a repeated or refused one must still be
    read as the client wrote it, in every session."""
    before = len(stack.mailbox)
    body = b"Subject: x\r\n\r\nx\r\n"
    for session in range(2):
        with smtplib.SMTP(stack.smtp_host, stack.smtp_port) as smtp:
            for to in ("ala@x.pl", "ola@x.pl", "ala@x.pl"):
                smtp.sendmail(f"shop{session}@x.pl", [to], body)
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail("shop@x.pl", ["ala@@x.pl"], body)
            assert smtp.mail("ala@@x.pl")[0] == 553  # refused as a sender as well
    mails = stack.mailbox.wait_for(before + 6, timeout=5)[before:]
    assert [(m.sender, m.recipients) for m in mails] == [
        (f"shop{session}@x.pl", (to,))
        for session in range(2)
        for to in ("ala@x.pl", "ola@x.pl", "ala@x.pl")
    ]


async def test_the_broker_stops_at_once_though_a_group_join_was_left_in_flight(
    tmp_path: Path,
) -> None:
    broker = EmbeddedKafka(tmp_path)
    try:
        topic = Topic("ordo.test.join", writer="this test", event_types=(), partitions=1)
        await ensure_topics(broker.bootstrap, [topic])
        consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id="ordo-test-join")
        await consumer.start()
        consumer.subscribe([topic.name])
        polling = asyncio.create_task(consumer.getmany(timeout_ms=100))
        await asyncio.sleep(0.5)  # joining: Tansu assigns only seconds later
        polling.cancel()
        await consumer._client.close()  # gone without leaving, as a process that exits
    finally:
        started = time.monotonic()
        broker.close()
    stopped_in = time.monotonic() - started
    with contextlib.suppress(TimeoutError):  # the rest of the client, now the broker is gone
        await asyncio.wait_for(consumer.stop(), 5)
    assert broker.process.returncode is not None
    assert stopped_in < 2.5  # it took 3-5 s, waiting out the join


def test_the_watchdog_gives_the_broker_the_grace_close_gives_it(tmp_path: Path) -> None:
    watchdog = create_autospec(Watchdog, instance=True)
    broker = EmbeddedKafka(tmp_path, watchdog=watchdog)
    broker.close()
    watchdog.stop_processes.assert_called_once_with([broker.process.pid], STOP_GRACE_S)


def test_close_stops_what_it_started_and_leaves_given_servers(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", stack.database_url)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    second = start_stack()
    assert second.origins["postgres"] == "environment"
    assert set(second.pids) == {"kafka", "smtp"}
    workdir, kafka = second.workdir, psutil.Process(second.pids["kafka"])
    smtp = psutil.Process(second.pids["smtp"])
    second.close()
    second.close()
    assert not _alive(kafka)
    assert not _alive(smtp)
    assert not workdir.exists()
    assert _alive(psutil.Process(stack.pids["postgres"]))


def test_close_stops_embedded_postgres(tmp_path: Path) -> None:
    with start_stack(tmp_path, environ={}) as own:
        # A throwaway server: durability settings off, as THROWAWAY says.
        for name, value in THROWAWAY.items():
            assert run_sync(partial(_fetchval, own.database_url, f"SHOW {name}")) == value
        postgres = psutil.Process(own.pids["postgres"])
        kafka = psutil.Process(own.pids["kafka"])
    assert not _alive(postgres)
    assert not _alive(kafka)


def _alive(process: psutil.Process) -> bool:
    # A stopped server whose parent has not reaped it yet is a zombie: gone for our purposes.
    try:
        return bool(process.is_running()) and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
