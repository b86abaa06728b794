"""Views in PostgreSQL, in the configured schema."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tracker.codec import MsgpackTranscoder
from tracker.stores.base import TrackedRows, ViewStore
from tracker.stores.sql import SqlRows


class PostgresViewStore(ViewStore):
    def __init__(self, conninfo: str, schema: str) -> None:
        import psycopg

        self._schema = schema
        self._codec = MsgpackTranscoder()
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

    def position(self, view: str) -> int:
        with self._lock, self._conn.cursor() as c:
            c.execute("SELECT position FROM view_tracking WHERE view = %s", (view,))
            row = c.fetchone()
        return row[0] if row else 0

    @contextmanager
    def transaction(self, view: str) -> Iterator[TrackedRows]:
        with self._lock, self._conn.transaction(), self._conn.cursor() as c:
            rows = SqlRows(c, view, self._codec, "%s")
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

    def dump(self, view: str) -> Iterator[tuple[str, bytes]]:
        with self._lock, self._conn.cursor() as c:
            c.execute("SELECT key, value FROM view_rows WHERE view = %s ORDER BY key", (view,))
            rows = c.fetchall()
        for key, value in rows:
            yield key, bytes(value)

    def drop(self, view: str) -> None:
        with self._lock, self._conn.transaction(), self._conn.cursor() as c:
            c.execute("DELETE FROM view_rows WHERE view = %s", (view,))
            c.execute("DELETE FROM view_tracking WHERE view = %s", (view,))

    def close(self) -> None:
        self._conn.close()
