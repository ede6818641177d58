"""A broker that has gone is said once in a while, with how often it was held back; Ordo's
own messages all go through."""

from __future__ import annotations

import logging

from ordo_runtime.logs import Repeats


def record(name: str, msg: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_aiokafkas_repeats_are_held_back_and_counted() -> None:
    now = [0.0]
    repeats = Repeats(every_s=30, clock=lambda: now[0])
    failed = "Unable connect to node with id %s: %s"
    passed = []
    for step in range(100):  # every 0.5 s for 50 s, as with a broker gone
        now[0] = step * 0.5
        r = record("aiokafka", failed, 1, "Connect call failed")
        if repeats.filter(r):
            passed.append((now[0], r.getMessage()))
    assert [t for t, _ in passed] == [0.0, 30.0]
    assert passed[0][1] == "Unable connect to node with id 1: Connect call failed"
    assert passed[1][1].endswith("[and 59 more like it in 30 s]")
    # Another logger of aiokafka's, or another level, is another message.
    assert repeats.filter(record("aiokafka.consumer.fetcher", failed, 1, "x"))
    assert repeats.filter(record("aiokafka", failed, 1, "x", level=logging.WARNING))


def test_ordos_own_messages_all_go_through() -> None:
    repeats = Repeats(every_s=30, clock=lambda: 0.0)
    letters = [record("ordo_runtime.processor", "dead-lettered %s: %s", n, "bad") for n in range(5)]
    assert all(repeats.filter(r) for r in letters)
    assert repeats.filter(record("aiokafkax", "not aiokafka's"))
    assert repeats.filter(record("aiokafkax", "not aiokafka's"))
