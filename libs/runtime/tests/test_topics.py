"""Topic creation at a service's start: the broker answers each topic with an error code,
and only "already exists" (another service was first) is no error."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import InvalidReplicationFactorError, TopicAlreadyExistsError

from ordo_events.topics import Topic
from ordo_runtime import kafka

TOPICS = [Topic("ordo.a", "test", (), partitions=3), Topic("ordo.b", "test", (), partitions=3)]


class Admin:
    """A broker's admin API that answers each topic it is asked to create with `code`."""

    created: list[Any] = []

    def __init__(self, code: int, existing: tuple[str, ...] = ()) -> None:
        self.code, self.existing = code, existing

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def list_topics(self) -> list[str]:
        return list(self.existing)

    async def create_topics(self, new: list[Any]) -> SimpleNamespace:
        Admin.created = new
        return SimpleNamespace(topic_errors=[(t.name, self.code, None) for t in new])


def answering(monkeypatch: pytest.MonkeyPatch, admin: Admin) -> None:
    monkeypatch.setattr(kafka, "AIOKafkaAdminClient", lambda **_: admin)


async def test_topics_missing_are_created_and_one_made_meanwhile_is_fine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answering(monkeypatch, Admin(TopicAlreadyExistsError.errno, existing=("ordo.a",)))
    await kafka.ensure_topics("broker:9092", TOPICS, replication=3)
    assert [(t.name, t.num_partitions, t.replication_factor) for t in Admin.created] == [
        ("ordo.b", 3, 3)
    ]


async def test_a_topic_the_broker_refuses_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    answering(monkeypatch, Admin(InvalidReplicationFactorError.errno))
    with pytest.raises(InvalidReplicationFactorError, match=r"creating topic ordo\.a"):
        await kafka.ensure_topics("broker:9092", TOPICS, replication=3)
