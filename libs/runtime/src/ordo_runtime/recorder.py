"""eventsourcing's PostgreSQL process recorder, writing in a plain transaction.

The library writes each batch in psycopg pipeline mode: one large INSERT ... RETURNING sent
while results flow back. Under load that deadlocked here (client in Pipeline.sync, server in
ClientRead; cf. psycopg issue #685). The statements, table lock, tracking record and
returned notification ids are the library's own; only pipelining is left out, which costs
nothing when a whole batch is one statement anyway. It also takes `trackings`, several
positions at once, so one poll over many partitions is one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    ProgrammingError,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.utils import get_topic, retry
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier


@dataclass(frozen=True)
class Page:
    """What a follower of the log reads: the notifications of its topics after its position,
    and `end`, where to follow on from (past the last of them when the log holds no more of
    its topics up to the head it saw)."""

    notifications: Sequence[Notification]
    end: int


class PlainTransactionProcessRecorder(PostgresProcessRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The library sends a batch as an array of a composite type, which psycopg writes as
        # escaped text (a third of a consumer's time went there); four typed arrays go binary.
        self.insert_columns_statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[])"
            " RETURNING notification_id"
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(self.datastore.originator_id_type),
        )
        self.insert_trackings_statement = SQL(
            "INSERT INTO {schema}.{table} AS t (application_name, notification_id)"
            " SELECT * FROM unnest(%s::text[], %s::bigint[])"
            " ON CONFLICT (application_name) DO UPDATE SET notification_id = EXCLUDED.notification_id"
            " WHERE t.notification_id < EXCLUDED.notification_id RETURNING t.application_name"
        ).format(
            schema=Identifier(self.datastore.schema), table=Identifier(self.tracking_table_name)
        )
        # The log's head comes with the page, in one snapshot: a follower whose topics are
        # rare (the relay of a service that seldom publishes) moves on to it, instead of
        # scanning again, at every poll, all it passed over since its last match.
        self.select_topics_statement = SQL(
            "WITH head AS (SELECT max(notification_id) AS id FROM {schema}.{table})"
            " SELECT head.id, page.* FROM head LEFT JOIN LATERAL ("
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM {schema}.{table} WHERE notification_id > %b AND notification_id <= head.id"
            " AND topic = ANY(%b) ORDER BY notification_id LIMIT %b) AS page ON true"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)  # keeps notification ids in commit order, for the relay
        # No NOTIFY: nothing here listens (the relay is woken in-process), and it is a
        # statement per write.
        curs.execute(  # ids come back as tuples (below): a dict per row cost ~10%
            self.insert_columns_statement,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
            binary=True,
        )

    def _insert_trackings(self, curs: Cursor[DictRow], trackings: Sequence[Tracking]) -> None:
        """Every partition's position of a poll in one statement, each required to advance,
        as the library's single-row tracking requires of one."""
        if not trackings:
            return
        curs.execute(
            self.insert_trackings_statement,
            ([t.application_name for t in trackings], [t.notification_id for t in trackings]),
        )
        advanced = len(curs.fetchall())
        if advanced != len(trackings):
            raise IntegrityError(f"{len(trackings) - advanced} position(s) did not advance")

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = [row[0] for row in cast(Cursor[tuple[int]], curs).fetchall()]
        if len(ids) != len(stored_events):
            raise ProgrammingError(
                f"got {len(ids)} notification ids for {len(stored_events)} events"
            )
        return ids

    def select_topics_after(self, position: int, limit: int, topics: Sequence[str]) -> Page:
        """The notifications of `topics` after `position`, as the relay and mailer follow them."""
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self.select_topics_statement, (position, list(topics), limit), binary=True)
            rows = curs.fetchall()
        notifications = [
            Notification(id=i, originator_id=o, originator_version=v, topic=t, state=bytes(st))
            for _, i, o, v, t, st in rows
            if i is not None
        ]
        head = rows[0][0] if rows and rows[0][0] is not None else position
        if len(notifications) == limit:  # the page may have stopped short of the head
            return Page(notifications, notifications[-1].id)
        return Page(notifications, max(head, position))

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=tuple_row) as tuples,
        ):
            curs = cast(Cursor[DictRow], tuples)  # the library's helpers only execute on it
            self._insert_events(curs, stored_events, **kwargs)  # the tracking record
            self._insert_trackings(curs, kwargs.get("trackings", ()))
            if not stored_events:
                return None
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)


RECORDER_TOPIC = get_topic(PlainTransactionProcessRecorder)
