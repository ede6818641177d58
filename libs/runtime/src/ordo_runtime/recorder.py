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
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.utils import get_topic, retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


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

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self.insert_columns_statement,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
            binary=True,
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)  # the tracking record
            for tracking in kwargs.get("trackings", ()):
                self._insert_tracking(curs, tracking)  # one per partition of a poll
            if not stored_events:
                return None
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)


RECORDER_TOPIC = get_topic(PlainTransactionProcessRecorder)
