"""Embedded SMTP: an aiosmtpd server that keeps every message it receives as a file, so tests
and demos can see what customers would have been sent.

The server is a process of its own, like the broker and PostgreSQL. As a thread of the
process that started it, it shared that process's GIL: while the bench's own loop was busy
it took ~25 emails a second, and the mailer fell minutes behind the orders. Each message is
one .eml file in the mailbox directory, its envelope at the top as the trace headers a
delivering server adds (Return-Path, a Delivered-To per recipient); `Mailbox` reads that
directory and gives the message back as it was sent.

A file is written under a temporary name and hard-linked into place, so a reader never sees
half of one. One file a mail, not a message and a JSON envelope beside it, and linked rather
than renamed (on ext4 renaming a freshly written file makes the kernel write its data out at
once): the sink's CPU per mail went from ~530 to ~480 us (3000 mails over four sessions,
three alternating pairs). The rest is aiosmtpd's reading of the SMTP dialogue.
"""

from __future__ import annotations

import argparse
import os
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

from ordo_devstack._net import free_port, stop_process, tail, wait_for_port

HOST = "127.0.0.1"
POLL_S = 0.05
RETURN_PATH, DELIVERED_TO = "Return-Path", "Delivered-To"


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    path: Path  # the .eml copy in the mailbox directory


class Mailbox:
    """Received mail, in arrival order, read from the directory the server writes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._read: dict[str, Mail] = {}

    def __len__(self) -> int:
        return len(self._names())

    def messages(self) -> list[Mail]:
        return [self._mail(name) for name in self._names()]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Mail]:
        """Wait until at least `count` mails arrived; raises TimeoutError otherwise."""
        self.wait_for_count(count, timeout)
        return self.messages()

    def wait_for_count(self, count: int, timeout: float = 10.0) -> None:
        """As `wait_for`, without reading the mails (a bench waits for thousands). The
        server numbers them in arrival order, so the count-th one's file is the sign."""
        deadline = time.monotonic() + timeout
        while count > 0 and not _numbered(self.directory, count).exists():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(self)} of {count} mails after {timeout}s")
            time.sleep(POLL_S)

    def _names(self) -> list[str]:
        # Only complete messages: the server renames a .eml into place after its envelope.
        return sorted(e.name for e in os.scandir(self.directory) if e.name.endswith(".eml"))

    def _mail(self, name: str) -> Mail:
        if name not in self._read:
            path = self.directory / name
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(message, EmailMessage)
            sender = str(message.get(RETURN_PATH, "")).strip("<>")
            recipients = tuple(str(r) for r in message.get_all(DELIVERED_TO, []))
            del message[RETURN_PATH], message[DELIVERED_TO]  # the server's, not the sender's
            self._read[name] = Mail(sender, recipients, message, path)
        return self._read[name]


def _numbered(directory: Path, number: int) -> Path:
    """Where the server keeps the number-th mail it received (numbered in arrival order)."""
    return directory / f"{number:06d}.eml"


class _KeepHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = len(Mailbox(directory))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode()
        self.count += 1
        trace = [f"{RETURN_PATH}: <{envelope.mail_from or ''}>"]
        trace += [f"{DELIVERED_TO}: {rcpt}" for rcpt in envelope.rcpt_tos]
        _write_once(
            _numbered(self.directory, self.count), "\r\n".join(trace).encode() + b"\r\n" + content
        )
        return "250 Message accepted for delivery"


def _write_once(path: Path, data: bytes) -> None:
    """`data` as a new file at `path`, there whole or not at all (see the module's note)."""
    partial = path.with_suffix(".part")
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), "wb") as file:
        file.write(data)
    os.link(partial, path)
    os.unlink(partial)


class EmbeddedSmtp:
    """An SMTP server on a free local port, in a process of its own."""

    def __init__(self, workdir: Path, timeout: float = 30.0) -> None:
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
    controller = Controller(_KeepHandler(args.directory), hostname=HOST, port=args.port)
    controller.start()
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
