"""Views in PostgreSQL, in the configured schema."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from tracker.codec import MsgpackTranscoder
from tracker.projections.tables import Table
from tracker.stores.base import ReadOnlyRows, TrackedRows, ViewReader, ViewStore
from tracker.stores.sql import META_TABLE_SQL, POSTGRES, SqlRows
from tracker.stores.tables import SqlTables, ViewTables

_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


class PostgresViewStore(ViewStore):
    def __init__(self, conninfo: str, schema: str) -> None:
        import psycopg

        self._schema = schema
        self._codec = MsgpackTranscoder()
        self._tables = SqlTables(POSTGRES, self._codec)
        self._lock = threading.Lock()
        self._conn = psycopg.connect(conninfo, autocommit=True)
        with self._conn.cursor() as c:
            c.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            c.execute(f'SET search_path TO "{schema}"')
            c.execute(
                "CREATE TABLE IF NOT EXISTS view_rows (view TEXT NOT NULL, "
                'key TEXT COLLATE "C" NOT NULL, value BYTEA NOT NULL, PRIMARY KEY (view, key))'
            )
            c.execute(
                "CREATE TABLE IF NOT EXISTS view_tracking (view TEXT PRIMARY KEY, "
                "position BIGINT NOT NULL)"
            )
            c.execute(META_TABLE_SQL)

    def declare(self, view: str, tables: Iterable[Table]) -> None:
        self._tables.declare(view, tables)

    def position(self, view: str) -> int:
        with self._lock, self._conn.cursor() as c:
            c.execute("SELECT position FROM view_tracking WHERE view = %s", (view,))
            row = c.fetchone()
        return row[0] if row else 0

    @contextmanager
    def transaction(self, view: str) -> Iterator[TrackedRows]:
        with self._lock, self._conn.transaction(), self._conn.cursor() as c:
            tables = ViewTables(self._tables, c, view, write=True)
            rows = SqlRows(c, view, self._codec, "%s", tables)
            # The locked tracking row also serialises creating the view's tables.
            c.execute(
                "INSERT INTO view_tracking (view, position) VALUES (%s, 0) "
                "ON CONFLICT (view) DO NOTHING",
                (view,),
            )
            c.execute("SELECT position FROM view_tracking WHERE view = %s FOR UPDATE", (view,))
            rows.start_position = c.fetchone()[0]
            yield rows
            if rows.position is not None:
                c.execute(
                    "INSERT INTO view_tracking (view, position) VALUES (%s, %s) "
                    "ON CONFLICT (view) DO UPDATE SET position = excluded.position",
                    (view, rows.position),
                )

    @contextmanager
    def read(self, view: str) -> Iterator[ViewReader]:
        with self._lock, self._conn.transaction(), self._conn.cursor() as c:
            c.execute(_SNAPSHOT)
            tables = ViewTables(self._tables, c, view, write=False)
            yield ReadOnlyRows(SqlRows(c, view, self._codec, "%s"), tables.reader)

    def dump(self, view: str) -> Iterator[tuple[str, bytes]]:
        with self._lock, self._conn.transaction(), self._conn.cursor() as c:
            c.execute(_SNAPSHOT)
            c.execute("SELECT key, value FROM view_rows WHERE view = %s ORDER BY key", (view,))
            rows = [(key, bytes(value)) for key, value in c.fetchall()]
            return self._tables.dump(c, view, rows)

    def drop(self, view: str) -> None:
        with self._lock, self._conn.transaction(), self._conn.cursor() as c:
            self._tables.drop(c, view)
            c.execute("DELETE FROM view_rows WHERE view = %s", (view,))
            c.execute("DELETE FROM view_tracking WHERE view = %s", (view,))

    def close(self) -> None:
        self._conn.close()
