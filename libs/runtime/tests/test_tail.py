"""A follower's tail: which noted writes it hands over, and which it leaves to the log."""

from __future__ import annotations

import uuid

from eventsourcing.persistence import Notification, Recording

from ordo_runtime.outbox import Outgoing
from ordo_runtime.settings import Settings
from ordo_runtime.store import ServiceApplication, UnitOfWork
from ordo_runtime.tail import Tail
from ordo_runtime.testing import IN_MEMORY


def write(*ids: int, topic: str = "kept") -> list[Recording[uuid.UUID]]:
    return [
        Recording(
            domain_event=None,  # type: ignore[arg-type]  # the tail reads notifications only
            notification=Notification(
                id=i, originator_id=uuid.uuid4(), originator_version=1, topic=topic, state=b"%d" % i
            ),
        )
        for i in ids
    ]


def tail(limit: int = 100) -> Tail[bytes]:
    return Tail(lambda r: r.notification.state if r.notification.topic == "kept" else None, limit)


def test_a_write_is_handed_over_once_to_the_follower_right_before_it_in_id_order() -> None:
    t = tail()
    t.note(write(13, 11, 12))
    t.note(write(14, topic="other"))
    assert t.after(9) is None  # id 10 is not here: read the log
    assert t.after(10) == (13, [b"11", b"12", b"13"])
    assert t.after(10) is None
    assert t.after(13) == (14, [])  # nothing kept, but the follower moves past it


def test_a_write_whose_ids_are_not_one_run_is_left_to_the_log() -> None:
    t = tail()
    t.note(write(1, 3))
    assert t.after(0) is None


def test_past_its_limit_it_keeps_nothing_more_and_forgets_what_the_log_was_read_past() -> None:
    t = tail(limit=3)
    t.note(write(1, 2))
    t.note(write(3, 4))  # would hold 4 records
    t.note(write(5))
    assert t.after(2) is None
    t.drop_to(4)
    t.note(write(6, 7))  # room again: the write at 1 is gone
    assert t.after(0) is None
    assert t.after(4) == (5, [b"5"])
    assert t.after(5) == (7, [b"6", b"7"])


def test_a_follower_failing_on_a_write_leaves_it_stored_and_to_the_log() -> None:
    app = ServiceApplication("tail-test", Settings(), extra_env=IN_MEMORY)

    def broken(recordings: object) -> None:
        raise RuntimeError("a follower's bug")

    t = tail()
    app.listeners = [broken, t.note]
    uow = UnitOfWork(app)
    uow.publish(Outgoing.record("ordo.orders", b"o-1", b"v", [], uuid.uuid4()))
    uow.commit()  # does not raise: the write is stored
    assert app.recorder.max_notification_id() == 1
    assert t.after(0) == (1, [])  # the others were still told (its topic is not "kept")
