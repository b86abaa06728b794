"""Views in a SQLite file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tracker.codec import MsgpackTranscoder
from tracker.projections.tables import Table
from tracker.stores.base import ReadOnlyRows, TrackedRows, ViewReader, ViewStore
from tracker.stores.sql import META_TABLE_SQL, SQLITE, SqlRows
from tracker.stores.tables import SqlTables, ViewTables


class SqliteViewStore(ViewStore):
    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._codec = MsgpackTranscoder()
        self._tables = SqlTables(SQLITE, self._codec)
        self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(
            "CREATE TABLE IF NOT EXISTS view_rows (view TEXT NOT NULL, key TEXT NOT NULL, "
            "value BLOB NOT NULL, PRIMARY KEY (view, key)) WITHOUT ROWID;"
            "CREATE TABLE IF NOT EXISTS view_tracking (view TEXT PRIMARY KEY, "
            f"position INTEGER NOT NULL);{META_TABLE_SQL};"
        )

    def declare(self, view: str, tables: Iterable[Table]) -> None:
        self._tables.declare(view, tables)

    def position(self, view: str) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT position FROM view_tracking WHERE view = ?", (view,)
            ).fetchone()
        return row[0] if row else 0

    @contextmanager
    def transaction(self, view: str) -> Iterator[TrackedRows]:
        with self._lock:
            c = self._conn.cursor()
            c.execute("BEGIN IMMEDIATE")
            try:
                tables = ViewTables(self._tables, c, view, write=True)
                rows = SqlRows(c, view, self._codec, "?", tables)
                row = c.execute(
                    "SELECT position FROM view_tracking WHERE view = ?", (view,)
                ).fetchone()
                rows.start_position = row[0] if row else 0
                yield rows
                if rows.position is not None:
                    c.execute(
                        "INSERT INTO view_tracking (view, position) VALUES (?, ?) "
                        "ON CONFLICT (view) DO UPDATE SET position = excluded.position",
                        (view, rows.position),
                    )
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    @contextmanager
    def read(self, view: str) -> Iterator[ViewReader]:
        with self._lock:
            c = self._conn.cursor()
            c.execute("BEGIN")  # deferred: the first read fixes the snapshot
            try:
                tables = ViewTables(self._tables, c, view, write=False)
                yield ReadOnlyRows(SqlRows(c, view, self._codec, "?"), tables.reader)
            finally:
                c.execute("ROLLBACK")

    def dump(self, view: str) -> Iterator[tuple[str, bytes]]:
        with self._lock:
            c = self._conn.cursor()
            c.execute("BEGIN")
            try:
                rows = c.execute(
                    "SELECT key, value FROM view_rows WHERE view = ? ORDER BY key", (view,)
                ).fetchall()
                return self._tables.dump(c, view, [(key, bytes(value)) for key, value in rows])
            finally:
                c.execute("ROLLBACK")

    def drop(self, view: str) -> None:
        with self._lock:
            c = self._conn.cursor()
            c.execute("BEGIN IMMEDIATE")
            try:
                self._tables.drop(c, view)
                c.execute("DELETE FROM view_rows WHERE view = ?", (view,))
                c.execute("DELETE FROM view_tracking WHERE view = ?", (view,))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self._conn.close()
