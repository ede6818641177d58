"""The embedded SMTP sink's mbox, without a server: what is written reads back as sent."""

from __future__ import annotations

import mailbox
from pathlib import Path

from ordo_devstack.smtp import MBOX, Mailbox, mbox_entry

MESSAGE = (
    b"From: shop@x.pl\r\nTo: ala@x.pl\r\nSubject: Hi\r\n\r\n"
    b"From now on, lines like this one\r\n>From and this one\r\nare kept as they were.\r\n"
)


def test_a_message_reads_back_as_sent_with_its_envelope(tmp_path: Path) -> None:
    (tmp_path / MBOX).write_bytes(
        mbox_entry("shop@x.pl", ["ala@x.pl", "ola@x.pl"], MESSAGE) + mbox_entry("", ["b@x"], b"")
    )
    box = Mailbox(tmp_path)
    first, bounce = box.messages()
    assert (first.sender, first.recipients) == ("shop@x.pl", ("ala@x.pl", "ola@x.pl"))
    assert first.message.get_content() == (
        "From now on, lines like this one\n>From and this one\nare kept as they were.\n"
    )
    assert first.message["Subject"] == "Hi"
    assert (bounce.sender, bounce.recipients) == ("", ("b@x",))
    # Another mbox reader sees two messages, the quoted lines quoted: the file is mboxrd.
    assert [m["Subject"] for m in mailbox.mbox(tmp_path / MBOX)] == ["Hi", None]


def test_a_message_half_written_is_not_counted_until_it_is_all_there(tmp_path: Path) -> None:
    whole = mbox_entry("shop@x.pl", ["ala@x.pl"], MESSAGE)
    path = tmp_path / MBOX
    path.write_bytes(whole + whole[:10])  # the second message's "From " line, cut short
    box = Mailbox(tmp_path)
    assert len(box) == 1
    path.write_bytes(whole + whole[:-3])  # all but its end
    assert len(box) == 1
    path.write_bytes(whole + whole)
    assert len(box) == 2
    assert [m.recipients for m in box.messages()] == [("ala@x.pl",), ("ala@x.pl",)]
    assert len(Mailbox(tmp_path / "empty")) == 0  # no file yet: no mail
