"""The mailer against a real SMTP server (aiosmtpd) and the in-memory Scenario store."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from zlib import crc32

import pytest
from aiosmtpd.controller import Controller
from eventsourcing.persistence import IntegrityError

from ordo_events import events as ev
from ordo_notification.app import service
from ordo_notification.domain import CustomerNotices, message_id_for
from ordo_notification.mailer import RECORD_ATTEMPTS, TRACKING_NAME, Mailer, MailSettings
from ordo_notification.message import Composer, Request
from ordo_runtime.testing import InMemoryRuntime, Scenario, sample_order

PL = sample_order()
EN = sample_order(
    external_id="W-2",
    language="en",
    customer={"name": "Ann Smith", "email": "ann@example.com"},
)


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.mails: list[EmailMessage] = []
        self.refuse = refuse  # addresses answered "550 no such mailbox"
        self.defer: set[str] = set()  # addresses answered "451 try again later"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        if address in self.defer:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.append(message)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(inbox: Inbox, port: int) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = serve(inbox, port)
    yield inbox, port
    controller.stop()


def settings(port: int) -> MailSettings:
    return MailSettings(
        smtp_port=port, smtp_from="Ordo <orders@ordo.test>", mailer_retry_s=0.05, smtp_timeout_s=5
    )


def scenario_with_four_requests() -> Scenario:
    issue = ev.Issue(code="phone.missing", field="customer.phone", message="No phone number.")
    return Scenario(service).given(
        ev.OrderReceived(order_id=PL.order_id, order=PL),
        ev.OrderReadyForFulfillment(order_id=PL.order_id, lines=[]),
        ev.OrderReceived(order_id=EN.order_id, order=EN),
        ev.OrderValidationFailed(order_id=EN.order_id, issues=[issue]),
    )


async def test_each_requested_email_is_sent_once(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    scenario = scenario_with_four_requests()
    runtime = InMemoryRuntime(scenario)

    assert await Mailer(runtime, settings(port)).pump(asyncio.Event()) == 4

    sent = [(m["To"], m["X-Ordo-Status"], m["Message-ID"]) for m in inbox.mails]
    # Several SMTP sessions send at once: customers interleave, each one's emails in order.
    assert [m for m in sent if m[0] == "jan@example.com"] == [
        ("jan@example.com", "received", message_id_for(PL.order_id, "received")),
        ("jan@example.com", "confirmed", message_id_for(PL.order_id, "confirmed")),
    ]
    assert [m for m in sent if m[0] == "ann@example.com"] == [
        ("ann@example.com", "received", message_id_for(EN.order_id, "received")),
        ("ann@example.com", "action_needed", message_id_for(EN.order_id, "action_needed")),
    ]
    by_status = {(m["To"], m["X-Ordo-Status"]): m for m in inbox.mails}
    first = by_status["jan@example.com", "received"]
    action = by_status["ann@example.com", "action_needed"]
    assert sorted(m["Content-Language"] for m in inbox.mails) == ["en", "en", "pl", "pl"]
    assert first["Subject"] == "Otrzymaliśmy Twoje zamówienie W-1"
    assert first["From"] == "Ordo <orders@ordo.test>"
    assert "Dzień dobry Jan Kowalski" in first.get_content()
    assert action["Subject"] == "We need a little more from you for order W-2"
    assert "- your phone number" in action.get_content()
    assert runtime.published == [
        ev.NotificationSent(
            order_id=order.order_id,
            status=status,
            recipient=to,
            message_id=message_id_for(order.order_id, status),
        )
        for order, status, to in [
            (PL, "received", "jan@example.com"),
            (PL, "confirmed", "jan@example.com"),
            (EN, "received", "ann@example.com"),
            (EN, "action_needed", "ann@example.com"),
        ]
    ]
    # one batch: one transaction records all four, with the mailer's position
    assert runtime.cause_ids == [f"sent/{scenario.app.position(TRACKING_NAME)}"]
    notices: CustomerNotices = scenario.app.repository.get(CustomerNotices.create_id(EN.order_id))
    assert notices.sent == ["received", "action_needed"]

    # Run again, as after a restart: the stored position says everything went.
    assert await Mailer(runtime, settings(port)).pump(asyncio.Event()) == 0
    assert len(inbox.mails) == 4

    # Only what is new goes next time.
    scenario.when(ev.PaymentFailed(order_id=EN.order_id, reason="declined"))
    assert await Mailer(runtime, settings(port)).pump(asyncio.Event()) == 1
    assert inbox.mails[-1]["Subject"] == "Your order W-2 is delayed"
    assert "did not go through" in inbox.mails[-1].get_content()


async def test_requests_stored_while_it_follows_are_sent_without_reading_them_back(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    scenario = scenario_with_four_requests()  # stored before it followed: read from the log
    runtime = InMemoryRuntime(scenario)
    mailer = Mailer(runtime, settings(port))
    with mailer.tail.following():
        assert await mailer.pump(asyncio.Event()) == 4
        assert mailer.tail.read_back == 4
        scenario.when(ev.PaymentFailed(order_id=EN.order_id, reason="declined"))
        scenario.when(ev.OrderReadyForFulfillment(order_id=EN.order_id, lines=[]))
        assert await mailer.pump(asyncio.Event()) == 2
    assert mailer.tail.read_back == 4
    assert [(m["To"], m["X-Ordo-Status"]) for m in inbox.mails[4:]] == [
        ("ann@example.com", "delayed"),
        ("ann@example.com", "confirmed"),
    ]
    # Past everything, its own record of the two included (noted, with nothing to send).
    assert mailer.position == scenario.app.recorder.max_notification_id()
    # A restart reads from the stored position and finds nothing left to send.
    assert await Mailer(runtime, settings(port)).pump(asyncio.Event()) == 0
    assert len(inbox.mails) == 6


async def test_an_email_recorded_before_a_crash_is_not_sent_again(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    runtime = InMemoryRuntime(scenario_with_four_requests())
    await Mailer(runtime, settings(port)).pump(asyncio.Event())

    again = Mailer(runtime, settings(port))
    again.position = 0  # as if the positions were never stored
    assert await again.pump(asyncio.Event()) == 0
    assert len(inbox.mails) == 4
    assert len(runtime.published) == 4


async def test_a_crash_between_sending_and_recording_resends_with_the_same_message_id(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    scenario = Scenario(service).given(ev.OrderReceived(order_id=PL.order_id, order=PL))
    runtime = InMemoryRuntime(scenario)
    runtime.fail = True
    with pytest.raises(ConnectionError):
        await Mailer(runtime, settings(port)).pump(asyncio.Event())
    assert scenario.app.position(TRACKING_NAME) is None

    assert await Mailer(runtime, settings(port)).pump(asyncio.Event()) == 1

    first, second = inbox.mails
    assert first["Message-ID"] == second["Message-ID"] == message_id_for(PL.order_id, "received")
    assert len(runtime.published) == 1


async def test_a_refused_address_does_not_hold_back_other_customers_email() -> None:
    inbox, port = Inbox(refuse=frozenset({"jan@example.com"})), free_port()
    controller = serve(inbox, port)
    try:
        runtime = InMemoryRuntime(scenario_with_four_requests())
        async with asyncio.timeout(10):  # retrying a refusal forever would hang here
            assert await Mailer(runtime, settings(port)).pump(asyncio.Event()) == 2
    finally:
        controller.stop()
    assert [m["To"] for m in inbox.mails] == ["ann@example.com", "ann@example.com"]
    assert {e.recipient for e in runtime.published if isinstance(e, ev.NotificationSent)} == {
        "ann@example.com"
    }


async def test_an_unreachable_server_is_retried_without_losing_the_email() -> None:
    scenario = Scenario(service).given(ev.OrderReceived(order_id=PL.order_id, order=PL))
    inbox, port = Inbox(), free_port()  # nothing listens there yet
    runtime = InMemoryRuntime(scenario)

    # Stopped while the server is down: nothing recorded, the position stays put.
    down = Mailer(runtime, settings(port))
    stop = asyncio.Event()
    running = asyncio.create_task(down.run(stop))
    await eventually(lambda: down.failures >= 2)
    stop.set()
    await running
    assert scenario.app.position(TRACKING_NAME) is None
    assert runtime.published == []

    # Started again, it keeps retrying until the server is back.
    mailer = Mailer(runtime, settings(port))
    stop = asyncio.Event()
    running = asyncio.create_task(mailer.run(stop))
    try:
        await eventually(lambda: mailer.failures >= 1)
        controller = serve(inbox, port)
        try:
            await eventually(lambda: scenario.app.position(TRACKING_NAME) is not None)
        finally:
            controller.stop()
    finally:
        stop.set()
        await running
    assert [m["X-Ordo-Status"] for m in inbox.mails] == ["received"]
    assert len(runtime.published) == 1


async def eventually(check: Callable[[], bool], within_s: float = 10) -> None:
    """Poll with a deadline: the SMTP server and the mailer progress on their own."""
    async with asyncio.timeout(within_s):
        while not check():  # noqa: ASYNC110 (the SMTP server's state is another thread's)
            await asyncio.sleep(0.01)


async def test_non_ascii_names_and_addresses_arrive_intact() -> None:
    """The fast path encodes a non-ASCII sender name and subject; an internationalised
    address goes through SMTPUTF8."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        ascii_to = sample_order(external_id="W-3", customer={"email": "ola@example.com"})
        utf8_to = sample_order(external_id="W-4", customer={"email": "żaneta@example.com"})
        runtime = InMemoryRuntime(
            Scenario(service).given(
                ev.OrderReceived(order_id=ascii_to.order_id, order=ascii_to),
                ev.OrderReceived(order_id=utf8_to.order_id, order=utf8_to),
            )
        )
        mail = settings(port).model_copy(update={"smtp_from": "Sklep Żółw <orders@ordo.test>"})
        assert await Mailer(runtime, mail).pump(asyncio.Event()) == 2
    finally:
        controller.stop()
    assert sorted(m["To"] for m in inbox.mails) == ["ola@example.com", "żaneta@example.com"]
    for message in inbox.mails:
        assert message["From"] == "Sklep Żółw <orders@ordo.test>"
        assert message["Subject"].startswith("Otrzymaliśmy Twoje zamówienie W-")
        assert "Dzień dobry" in message.get_content()
        assert message["Content-Language"] == "pl"


async def test_a_session_held_up_does_not_record_what_came_after_it(
    smtp: tuple[Inbox, int],
) -> None:
    """Customers go over separate sessions. When one customer's emails are held up and the
    mailer stops, the position stays before them: the other session's emails, sent already,
    go again next time with the same Message-ID (at least once), and none is lost."""
    inbox, port = smtp
    lanes = next(
        n for n in range(2, 50) if len({crc32(o.order_id.encode()) % n for o in (PL, EN)}) == 2
    )
    mail = settings(port).model_copy(update={"mailer_connections": lanes})
    scenario = scenario_with_four_requests()  # Jan's two requests come first
    runtime = InMemoryRuntime(scenario)
    inbox.defer.add("jan@example.com")
    held = Mailer(runtime, mail)
    stop = asyncio.Event()
    running = asyncio.create_task(held.run(stop))
    await eventually(lambda: len(inbox.mails) == 2 and held.failures >= 1)
    stop.set()
    await running
    assert [m["To"] for m in inbox.mails] == ["ann@example.com"] * 2
    assert scenario.app.position(TRACKING_NAME) is None
    assert runtime.published == []

    inbox.defer.clear()
    assert await Mailer(runtime, mail).pump(asyncio.Event()) == 4
    ids = [m["Message-ID"] for m in inbox.mails]
    assert len(ids) == 6
    assert ids.count(message_id_for(EN.order_id, "received")) == 2
    assert ids.count(message_id_for(PL.order_id, "received")) == 1
    assert len(runtime.published) == 4


def test_headers_are_encoded_words_of_whole_characters_and_never_break_a_line() -> None:
    compose = Composer(MailSettings().smtp_from)
    long_subject = "Zamówienie " + "żółć-" * 40  # many encoded words, folded
    request = Request(
        1, uuid.uuid4(), "o-1", "received", "a@example.com", "pl", long_subject, "Treść\n", "<m@x>"
    )
    raw = compose.plain(request)
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == long_subject
    assert message.get_content() == "Treść\n"

    sneaky = Request(
        1, uuid.uuid4(), "o-1", "received", "a@example.com", "en", "Order 1\r\nBcc: x@y", "", "<m>"
    )
    message = message_from_bytes(compose.plain(sneaky), policy=policy.default)
    assert message["Bcc"] is None
    assert message["Subject"] == "Order 1  Bcc: x@y"


class Conflicting(InMemoryRuntime):
    """A store whose writes conflict `times` times in a row, as under a busy handler."""

    def __init__(self, scenario: Scenario, times: int) -> None:
        super().__init__(scenario)
        self.times = times

    async def execute(self, *args: Any, **kwargs: Any) -> list[ev.Event]:
        if self.times > 0:
            self.times -= 1
            raise IntegrityError("conflict")
        return await super().execute(*args, **kwargs)


async def test_a_record_that_keeps_conflicting_does_not_stop_the_mailer(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    scenario = Scenario(service).given(ev.OrderReceived(order_id=PL.order_id, order=PL))
    runtime = Conflicting(scenario, times=RECORD_ATTEMPTS + 1)  # outlasts one batch's attempts
    mailer, stop = Mailer(runtime, settings(port)), asyncio.Event()
    task = asyncio.create_task(mailer.run(stop))
    try:
        async with asyncio.timeout(10):
            while scenario.app.position(TRACKING_NAME) is None:
                assert not task.done(), task.exception()
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task  # ends cleanly: nothing escaped the loop

    assert mailer.record_failures == 1
    # Sent, not recorded, so sent again with the same Message-ID; recorded once.
    assert [m["Message-ID"] for m in inbox.mails] == [message_id_for(PL.order_id, "received")] * 2
    assert len(runtime.published) == 1
