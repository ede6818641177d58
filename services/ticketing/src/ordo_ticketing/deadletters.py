"""Retrying dead letters: the original record goes back, whole, to the topic it came from.

Every consumer of that topic sees it again; the ones that handled it already refuse it as a
duplicate (their outgoing ids derive from its id), and the one that failed gets another go.

The republished record lives in the event store's outbox and the "retried" mark in the read
model, two writes that cannot share a transaction. So a retry is idempotent instead: its
record's id names the letter and its retry count, a record already in the outbox is not
published again, and a letter is marked only if its count is still the one that id was made
from. A retry that stopped between the two writes is completed by asking for it again.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from ordo_events import events as ev
from ordo_runtime import UnitOfWork
from ordo_runtime.outbox import Outgoing
from ordo_ticketing.domain import NAMESPACE

DLQ_HEADERS = ("dlq_reason", "dlq_service", "dlq_origin", "dlq_key")


class DeadLetterNotFoundError(LookupError):
    pass


class RetryRefusedError(Exception):
    pass


async def load(db: asyncpg.Pool | asyncpg.Connection, ids: Sequence[str]) -> list[asyncpg.Record]:
    rows = await db.fetch(
        "SELECT id, origin, subject, payload, headers, retries FROM dead_letters"
        " WHERE id = ANY($1)",
        list(ids),
    )
    missing = set(ids) - {r["id"] for r in rows}
    if missing:
        raise DeadLetterNotFoundError(f"no dead letter {', '.join(sorted(missing))}")
    return list(rows)


def original_record(row: asyncpg.Record) -> Outgoing:
    """The dead-lettered record as it was first published; its id names this retry, so the
    same retry asked twice (two clicks, two replicas) is refused by the outbox."""
    origin = row["origin"] or ""
    topic = origin.rsplit("/", 2)[0] if origin.count("/") >= 2 else ""
    if not topic or row["payload"] is None:
        raise RetryRefusedError(f"dead letter {row['id']} does not say where it came from")
    headers: dict[str, Any] = json.loads(row["headers"])
    kept = [(k, str(v).encode()) for k, v in headers.items() if k not in DLQ_HEADERS]
    kept.append(("ordo_retry_of", row["id"].encode()))
    key = _original_key(headers, row["subject"])
    record_id = uuid.uuid5(NAMESPACE, f"retry/{row['id']}/{row['retries']}")
    return Outgoing.record(topic, key, bytes(row["payload"]), kept, record_id)


def _original_key(headers: dict[str, Any], subject: str | None) -> bytes:
    """The key the record had, which the runtime keeps in dlq_key; letters written before it
    did are keyed by order id (ce_subject), as Ordo keys its events."""
    kept = headers.get("dlq_key")
    if kept:
        try:
            return base64.b64decode(str(kept), validate=True)
        except binascii.Error:
            pass
    return (subject or "").encode()


class RetryDeadLetters:
    """The command: publish the originals through the outbox, in one transaction, except
    those already there (a retry that stopped before marking its letters)."""

    def __init__(self, records: Sequence[Outgoing]):
        self.records = records

    def __call__(self, uow: UnitOfWork) -> Sequence[ev.Event]:
        recorder = uow.app.recorder
        uow.publish(
            *(r for r in self.records if not recorder.select_events(r.originator_id, limit=1))
        )
        return []


# Each letter only while its count is the one its record's id was made from: the retry that
# id names is counted once, however many requests (a repeat, two replicas) mark it.
MARK_RETRIED = """
UPDATE dead_letters AS d SET retries = d.retries + 1, retried_at = now(), retried_by = $3
FROM unnest($1::text[], $2::int[]) AS r(id, retries)
WHERE d.id = r.id AND d.retries = r.retries
"""
