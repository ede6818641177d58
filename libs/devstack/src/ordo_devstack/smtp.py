"""Embedded SMTP: an aiosmtpd server that keeps every message it receives, so tests and
demos can see what customers would have been sent."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from ordo_devstack._net import free_port

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    path: Path  # the .eml copy in the mailbox directory


class Mailbox:
    """Received mail, in arrival order; safe to read while the server thread appends."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._mails: list[Mail] = []
        self._arrived = threading.Condition()

    def __len__(self) -> int:
        with self._arrived:
            return len(self._mails)

    def messages(self) -> list[Mail]:
        with self._arrived:
            return list(self._mails)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Mail]:
        """Block until at least `count` mails arrived; raises TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._mails) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._mails)} of {count} mails after {timeout}s")
                self._arrived.wait(left)
            return list(self._mails)

    def add(self, sender: str, recipients: list[str], content: bytes) -> Mail:
        message = message_from_bytes(content, policy=policy.default)
        with self._arrived:
            path = self.directory / f"{len(self._mails) + 1:06d}.eml"
            path.write_bytes(content)
            mail = Mail(sender, tuple(recipients), message, path)
            self._mails.append(mail)
            self._arrived.notify_all()
        return mail


class _KeepHandler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode()
        self.mailbox.add(envelope.mail_from or "", list(envelope.rcpt_tos), content)
        return "250 Message accepted for delivery"


class EmbeddedSmtp:
    """An SMTP server on a free local port, running on its own thread."""

    def __init__(self, workdir: Path) -> None:
        self.host = HOST
        self.port = free_port(HOST)
        self.mailbox = Mailbox(workdir / "mailbox")
        self._controller = Controller(_KeepHandler(self.mailbox), hostname=HOST, port=self.port)
        self._controller.start()
        self._running = True

    def close(self) -> None:
        if self._running:
            self._running = False
            self._controller.stop()
