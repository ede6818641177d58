"""The mailer: follows the service's NotificationRequested records and sends them by SMTP.

It follows the notification log the way the runtime's outbox relay does, under its own
tracking name. For each request: send, record NotificationSent (through Runtime.execute with
a cause id derived from order and status, so it is stored once), then store the position.
Delivery is at least once: a crash after sending and before recording sends the same email
again, with the same Message-ID, which lets mail clients recognise the duplicate.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import zlib
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from eventsourcing.persistence import IntegrityError
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ordo_events.events import Event
from ordo_notification.domain import REQUESTED_TOPIC, CustomerNotices
from ordo_notification.handlers import record_sent
from ordo_notification.message import Composer, Request
from ordo_runtime import Runtime, UnitOfWork
from ordo_runtime.leadership import lead, wait_for
from ordo_runtime.store import CommandRuntime, with_tracking
from ordo_runtime.tail import Step, Tail

log = logging.getLogger(__name__)
TRACKING_NAME = "mailer"
MAILER_LOCK_KEY = 7_305_113  # one sending replica per database; the relay uses 7_305_112
RECORD_ATTEMPTS = 5


class MailSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "Ordo <orders@ordo.local>"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = 30.0
    # Requests read, sent and recorded as one batch. 500 rather than 100: over three bursts
    # of 5000 orders each way, alternating, the CPU per order counted until the last email
    # was out went from 5.2-6.4 ms to 4.7-5.8, and the emails left when the burst ended
    # were out in 3.3-4.7 s instead of 4.0-6.4.
    # A crash between sending and recording sends up to this many again (same Message-ID).
    mailer_batch: int = 500
    # SMTP sessions open at once; one customer's emails always share one, in order.
    mailer_connections: int = 4
    mailer_idle_s: float = 0.2
    # While the SMTP server is unreachable: wait this long, doubling up to the maximum.
    mailer_retry_s: float = 1.0
    mailer_retry_max_s: float = 60.0


class Mailer:
    def __init__(self, runtime: CommandRuntime, settings: MailSettings):
        self.runtime, self.app, self.settings = runtime, runtime.app, settings
        self.position: int | None = None
        self.sent = 0
        self.failures = 0  # SMTP attempts that failed and will be retried
        self.record_failures = 0  # batches whose record failed; sent again, then recorded
        # Sessions block on the network: their own threads, so they never hold up the
        # consumer's batches, which run on the loop's default executor.
        self.sessions = ThreadPoolExecutor(settings.mailer_connections, "smtp")
        # The requests this process's handlers just stored, so they need not be read back.
        self.tail: Tail[Request] = Tail(
            self.app, [REQUESTED_TOPIC], lambda n, event: Request.read(n.id, event())
        )
        self.compose = Composer(settings.smtp_from)

    async def run(self, stop: asyncio.Event) -> None:
        delay = self.settings.mailer_retry_s
        try:
            with self.tail.following():
                while not stop.is_set():
                    try:
                        await self.pump(stop)
                    except Exception:
                        # The database away, or a record that kept conflicting: the mailer
                        # (and with it the service) carries on. What was sent and not
                        # recorded goes again next time, with the same Message-ID.
                        self.record_failures += 1
                        log.exception("mailer: recording failed; trying again in %.1f s", delay)
                        await wait_for(stop, delay)
                        delay = min(delay * 2, self.settings.mailer_retry_max_s)
                        continue
                    delay = self.settings.mailer_retry_s
                    await wait_for(stop, self.settings.mailer_idle_s)
        finally:
            self.sessions.shutdown(wait=False)

    async def pump(self, stop: asyncio.Event) -> int:
        """Send every request recorded since the last position; returns how many were sent.
        A batch goes over a few SMTP sessions (see `_send_all`) and is recorded in one
        transaction, with the mailer's position, so the cost per email is a message, not a
        connection and commits. The requests this process just stored come from the tail;
        the log is read for the rest."""
        sent_before = self.sent
        if self.position is None:
            self.position = await asyncio.to_thread(self.app.position, TRACKING_NAME) or 0
        while not stop.is_set():
            step, requests = await asyncio.to_thread(self._next, self.position)
            if step.at_head:
                # Nothing to send up to the log's head: no need to look there again. Kept in
                # memory only; a restart reads the stretch once more.
                self.position = step.end
                break
            if step.read is None and not step.records:
                self.position = step.end  # noted writes with no request in them: likewise
                continue
            done, delivered = await self._send_all(requests, stop)
            last = step.end if done == len(requests) else requests[done].position - 1
            if last > self.position and (done or not requests):
                await self._record(delivered, last)
                self.position = last
                self.sent += len(delivered)
            if done < len(requests):
                break  # stopping while the server is unreachable
        return self.sent - sent_before

    def _next(self, position: int) -> tuple[Step[Request], list[Request]]:
        """The next batch of requests after `position`, and those of them not sent yet."""
        step = self.tail.step(position, self.settings.mailer_batch)
        self.app.load_many({r.notices_id for r in step.records})
        return step, [r for r in step.records if not self._already_sent(r)]

    def _already_sent(self, request: Request) -> bool:
        notices = self.app.peek(CustomerNotices, request.notices_id)
        return notices is not None and request.status in notices.sent

    async def _send_all(
        self, requests: Sequence[Request], stop: asyncio.Event
    ) -> tuple[int, list[Request]]:
        """Send over up to `mailer_connections` SMTP sessions at once, each customer's emails
        in one session and in order: one session waits a round trip per SMTP command, which
        held the mailer to a few dozen emails a second. Returns how many requests, from the
        first, are done (sent, or refused for good) and which of those were sent. Stops early
        only when asked to stop while the server is down; what another session sent beyond
        that point is sent again next time, with the same Message-ID."""
        lanes: dict[int, list[int]] = defaultdict(list)
        for index, request in enumerate(requests):
            lane = zlib.crc32(request.order_id.encode()) % self.settings.mailer_connections
            lanes[lane].append(index)
        sent: dict[int, bool] = {}
        await asyncio.gather(
            *(self._send_lane(requests, lane, sent, stop) for lane in lanes.values())
        )
        done = next((i for i in range(len(requests)) if i not in sent), len(requests))
        return done, [requests[i] for i in range(done) if sent[i]]

    async def _send_lane(
        self,
        requests: Sequence[Request],
        lane: Sequence[int],
        sent: dict[int, bool],
        stop: asyncio.Event,
    ) -> None:
        """Send the requests at `lane`'s indexes in order over one session, retrying while
        the server is unreachable; records in `sent` whether each was taken."""
        delay = self.settings.mailer_retry_s
        while any(index not in sent for index in lane):
            try:
                await asyncio.get_running_loop().run_in_executor(
                    self.sessions, self._send_over_session, requests, lane, sent
                )
            except (smtplib.SMTPException, OSError) as failure:
                self.failures += 1
                log.warning("SMTP failed (%s); retrying in %.1fs", failure, delay)
                if await wait_for(stop, delay):
                    return
                delay = min(delay * 2, self.settings.mailer_retry_max_s)

    def _send_over_session(
        self, requests: Sequence[Request], lane: Sequence[int], sent: dict[int, bool]
    ) -> None:
        """One SMTP session on a worker thread, from the lane's first unsent request on.
        The standard library's blocking client: aiosmtplib spent ~0.7 ms of CPU a message
        here, smtplib ~0.3 (measured against the embedded sink)."""
        settings = self.settings
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s
        ) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):  # as aiosmtplib did: TLS whenever the server offers it
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_username:
                password = settings.smtp_password
                smtp.login(settings.smtp_username, password.get_secret_value() if password else "")
            for index in lane:
                if index not in sent:
                    sent[index] = self._send(smtp, requests[index])

    def _send(self, smtp: smtplib.SMTP, request: Request) -> bool:
        """True once the server took it; False if it refused the address for good, which
        must not hold back every later customer's email."""
        try:
            if request.recipient.isascii():
                smtp.sendmail(self.compose.sender, [request.recipient], self.compose.plain(request))
            else:  # an internationalised address: send_message negotiates SMTPUTF8
                smtp.send_message(self.compose.message(request))
        except smtplib.SMTPRecipientsRefused as exc:
            if all(code >= 500 for code, _ in exc.recipients.values()):
                log.warning("%s refused for %s: %s", request.message_id, request.order_id, exc)
                return False
            raise
        return True

    async def _record(self, delivered: Sequence[Request], position: int) -> None:
        """NotificationSent for each delivered email and the mailer's position, together."""

        def command(uow: UnitOfWork) -> list[Event]:
            return [
                event
                for r in delivered
                for event in record_sent(r.order_id, r.status, r.recipient, r.message_id)(uow)
            ]

        tracking = with_tracking(TRACKING_NAME, position)
        for attempt in range(RECORD_ATTEMPTS):
            try:
                await self.runtime.execute(command, f"sent/{position}", tracking)
                return
            except IntegrityError:
                if (self.app.position(TRACKING_NAME) or 0) >= position:
                    return  # recorded already, by us before a crash or by another replica
                # A handler changed the same orders' notices meanwhile: retry on fresh state.
                self.app.forget([r.notices_id for r in delivered])
                if attempt == RECORD_ATTEMPTS - 1:
                    raise


async def mailer(runtime: Runtime, stop: asyncio.Event) -> None:
    """The service's background task. One replica sends at a time (see ordo_runtime.leadership),
    so running several replicas does not send every email several times."""
    await lead(
        runtime.database_url,
        MAILER_LOCK_KEY,
        stop,
        lambda: Mailer(runtime, MailSettings()).run(stop),
    )
