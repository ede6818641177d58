"""A follower's tail: which noted writes it hands over, and which it leaves to the log."""

from __future__ import annotations

import uuid

from eventsourcing.persistence import Notification, Recording

from ordo_runtime.outbox import OUTGOING_TOPIC, Outgoing
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


def in_memory() -> ServiceApplication:
    return ServiceApplication("tail-test", Settings(), extra_env=IN_MEMORY)


def tail(limit: int = 100, app: ServiceApplication | None = None) -> Tail[bytes]:
    return Tail(app or in_memory(), ["kept"], lambda n, _: n.state, limit)


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
    app = in_memory()

    def broken(recordings: object) -> None:
        raise RuntimeError("a follower's bug")

    t = tail(app=app)
    app.listeners = [broken, t.note]
    uow = UnitOfWork(app)
    uow.publish(Outgoing.record("ordo.orders", b"o-1", b"v", [], uuid.uuid4()))
    uow.commit()  # does not raise: the write is stored
    assert app.recorder.max_notification_id() == 1
    assert t.after(0) == (1, [])  # the others were still told (its topic is not "kept")


def store(app: ServiceApplication, *values: bytes) -> None:
    uow = UnitOfWork(app)
    uow.publish(*(Outgoing.record("ordo.orders", b"o-1", v, [], uuid.uuid4()) for v in values))
    uow.commit()


def test_a_step_reads_the_log_for_what_it_missed_and_takes_noted_writes_in_one_batch() -> None:
    app = in_memory()
    t = Tail(app, [OUTGOING_TOPIC], lambda n, _: Outgoing.kafka_record(n.state)[2])
    store(app, b"before")  # stored before it followed: only in the log
    with t.following():
        first = t.step(0, 10)
        assert (first.end, first.records, first.read) == (1, [b"before"], 1)
        store(app, b"a", b"b")
        store(app, b"c")
        noted = t.step(first.end, 10)  # both writes, one after the other, no read
        assert (noted.end, noted.records, noted.read) == (4, [b"a", b"b", b"c"], None)
        store(app, b"d")
        store(app, b"e")
        assert t.step(noted.end, 1).records == [b"d"]  # up to about `limit` records
        assert t.step(5, 1).records == [b"e"]
        last = t.step(6, 10)
        assert (last.end, last.records, last.at_head) == (6, [], True)
    assert t.read_back == 1
