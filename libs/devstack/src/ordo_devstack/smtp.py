"""Embedded SMTP: an aiosmtpd server that keeps every message it receives in one mbox file,
so tests and demos can see what customers would have been sent (any mail client opens it:
`mutt -f .ordo/run/stack/mailbox/inbox.mbox`, or import it).

The server is a process of its own, like the broker and PostgreSQL. As a thread of the
process that started it, it shared that process's GIL: while the bench's own loop was busy
it took ~25 emails a second, and the mailer fell minutes behind the orders.

One file for all mail, appended to: the sink used to create a file (or three) per mail, and
under a burst, with PostgreSQL writing to the same disk, creating a file cost ~0.5 ms of
kernel time (strace -c: 75% of the sink's system time, which was half its CPU). The file is
mboxrd (RFC 4155): each message follows a "From " line, body lines starting with ">*From "
get one more ">". The "From " line ends with the length of what follows (RFC 4155 allows
more after the date), so a reader takes a message only once all of it is there. The envelope
is at the top of each message as the trace headers a delivering server adds (Return-Path, a
Delivered-To per recipient); `Mailbox` reads it back and gives each message as it was sent.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from ordo_devstack._net import free_port, stop_process, tail, wait_for_port
from ordo_devstack.priority import MAX_NICE, lower_priority
from ordo_devstack.watchdog import Watchdog

HOST = "127.0.0.1"
POLL_S = 0.05
RETURN_PATH, DELIVERED_TO = "Return-Path", "Delivered-To"
MBOX = "inbox.mbox"
SINK_NICE = MAX_NICE
ADDRESSES_KEPT = 100_000  # then forgotten all at once: a sink runs for a demo or a bench
_FROM_LINE = re.compile(rb"From (\S*) .* (\d+)\n")
_QUOTED = re.compile(rb"^(>*From )", re.MULTILINE)
_UNQUOTED = re.compile(rb"^>(>*From )", re.MULTILINE)


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    raw: bytes  # as kept in the mbox (trace headers on top, LF line ends)


class Mailbox:
    """Received mail, in arrival order, read from the mbox file the server appends to."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / MBOX
        directory.mkdir(parents=True, exist_ok=True)
        self._spans: list[tuple[int, int]] = []  # each complete message's (start, end)
        self._end = 0  # where the next "From " line starts
        self._read: dict[int, Mail] = {}

    def __len__(self) -> int:
        return len(self._scan())

    def messages(self) -> list[Mail]:
        return [self._mail(i) for i in range(len(self._scan()))]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Mail]:
        """Wait until at least `count` mails arrived; raises TimeoutError otherwise."""
        self.wait_for_count(count, timeout)
        return self.messages()

    def wait_for_count(self, count: int, timeout: float = 10.0) -> None:
        """As `wait_for`, without parsing the mails (a bench waits for thousands)."""
        deadline = time.monotonic() + timeout
        while len(self) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(self)} of {count} mails after {timeout}s")
            time.sleep(POLL_S)

    def _scan(self) -> list[tuple[int, int]]:
        """Index the messages written since the last look; a message still being written
        (fewer bytes there than its "From " line says) waits for the next look."""
        try:
            with self.path.open("rb") as file:
                file.seek(self._end)
                new = file.read()
        except FileNotFoundError:
            return self._spans
        at = 0
        while (found := _FROM_LINE.match(new, at)) is not None:
            start = at + len(found.group(0))
            end = start + int(found.group(2))
            if end + 1 > len(new):  # the message and the blank line after it
                break
            self._spans.append((self._end + start, self._end + end))
            at = end + 1
        self._end += at
        return self._spans

    def _mail(self, index: int) -> Mail:
        if index not in self._read:
            start, end = self._spans[index]
            with self.path.open("rb") as file:
                file.seek(start)
                raw = file.read(end - start)
            message = message_from_bytes(_UNQUOTED.sub(rb"\1", raw), policy=policy.default)
            assert isinstance(message, EmailMessage)
            sender = str(message.get(RETURN_PATH, "")).strip("<>")
            recipients = tuple(str(r) for r in message.get_all(DELIVERED_TO, []))
            del message[RETURN_PATH], message[DELIVERED_TO]  # the server's, not the sender's
            self._read[index] = Mail(sender, recipients, message, raw)
        return self._read[index]


def mbox_entry(sender: str, recipients: list[str], content: bytes) -> bytes:
    """One message as the mbox keeps it: its "From " line (with the length of the rest),
    trace headers, the message with LF line ends and "From " lines quoted, a blank line."""
    trace = [f"{RETURN_PATH}: <{sender}>", *(f"{DELIVERED_TO}: {r}" for r in recipients)]
    body = "\n".join(trace).encode() + b"\n" + content.replace(b"\r\n", b"\n")
    if not body.endswith(b"\n"):
        body += b"\n"
    body = _QUOTED.sub(rb">\1", body)
    date = time.asctime(time.gmtime())
    return f"From {sender or 'MAILER-DAEMON'} {date} {len(body)}\n".encode() + body + b"\n"


class _KeepHandler:
    def __init__(self, directory: Path) -> None:
        # Appended with one write a message (O_APPEND): readers index only whole messages.
        self.fd = os.open(directory / MBOX, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode()
        entry = mbox_entry(envelope.mail_from or "", list(envelope.rcpt_tos), content)
        written = 0
        while written < len(entry):
            written += os.write(self.fd, entry[written:])
        return "250 Message accepted for delivery"


class _Server(SMTP):
    """aiosmtpd's server, remembering the addresses of MAIL FROM and RCPT TO it has parsed.

    aiosmtpd parses each with the email package's header parser and defines a class on
    every call: ~36% of the sink's CPU under a burst (py-spy), for the same sender every
    time and each customer's address twice. The parsing stays aiosmtpd's; each distinct
    argument is parsed once. The sink stands in for a mail provider, so its CPU is not
    Ordo's, but on a development machine it shares the cores with the pipeline."""

    def __init__(
        self, addresses: dict[str, tuple[str | None, str | None]], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._addresses = addresses

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        found = self._addresses.get(arg)
        if found is None:
            found = super()._getaddr(arg)
            if len(self._addresses) >= ADDRESSES_KEPT:
                self._addresses.clear()
            self._addresses[arg] = found
        return found


class _Controller(Controller):
    """One address cache for every session (aiosmtpd builds a server per connection)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.addresses: dict[str, tuple[str | None, str | None]] = {}

    def factory(self) -> SMTP:
        return _Server(self.addresses, self.handler, **self.SMTP_kwargs)


class EmbeddedSmtp:
    """An SMTP server on a free local port, in a process of its own. A `watchdog` stops it
    if this process goes without closing it."""

    def __init__(
        self, workdir: Path, timeout: float = 30.0, watchdog: Watchdog | None = None
    ) -> None:
        self.host = HOST
        self.port = free_port(HOST)
        self.mailbox = Mailbox(workdir / "mailbox")
        self.log = workdir / "smtp.log"
        serve = "from ordo_devstack.smtp import main; main()"  # -m would import it twice
        argv = [sys.executable, "-c", serve, str(self.port), str(self.mailbox.directory)]
        with self.log.open("wb") as log:
            # Own session, as the broker: a Ctrl-C must not stop it under the mailer.
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        # It stands in for a mail provider, which is not on the machine: under a peak it
        # waits for the pipeline (the mailer with it) instead of taking a core's share.
        lower_priority(self.process.pid, SINK_NICE)
        if watchdog is not None:
            watchdog.stop_processes([self.process.pid])
        try:
            wait_for_port(HOST, self.port, timeout, lambda: self.process.poll() is None)
        except BaseException as exc:
            self.close()
            raise RuntimeError(
                f"the SMTP server did not start; its log:\n{tail(self.log)}"
            ) from exc

    def close(self, grace: float = 5.0) -> None:
        stop_process(self.process, grace)


def main() -> None:
    parser = argparse.ArgumentParser(prog="ordo-smtp", description="Ordo's embedded SMTP sink")
    parser.add_argument("port", type=int)
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    args.directory.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller = _Controller(_KeepHandler(args.directory), hostname=HOST, port=args.port)
    controller.start()
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
