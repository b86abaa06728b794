"""Views kept in this process: key rows as live Python objects, tables in in-memory SQLite."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from tracker.codec import MsgpackTranscoder
from tracker.projections.base import Rows
from tracker.projections.tables import Table, TableReader, TableRows
from tracker.stores.base import ReadOnlyRows, TrackedRows, ViewReader, ViewStore, plain
from tracker.stores.sql import META_TABLE_SQL, SQLITE
from tracker.stores.tables import SqlTables, ViewTables


class _DictRows:
    def __init__(
        self, data: dict[str, Any], tables: Callable[[str], TableRows] | None = None
    ) -> None:
        self._data = data
        self._tables = tables
        self.position: int | None = None
        self.start_position = 0

    def get(self, key: str) -> Any | None:
        return self._data.get(key)

    def put(self, key: str, value: Any) -> None:
        self._data[key] = value

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def scan(
        self, lo: str, hi: str, *, reverse: bool = False, limit: int | None = None
    ) -> Iterator[tuple[str, Any]]:
        keys = sorted((k for k in self._data if lo <= k < hi), reverse=reverse)
        for k in keys[:limit] if limit is not None else keys:
            yield k, self._data[k]

    def table(self, name: str) -> TableRows:
        if self._tables is None:
            raise RuntimeError("tables are reached inside a view's transaction() or read()")
        return self._tables(name)

    def track(self, position: int) -> None:
        self.position = position


class _Tables:
    """One transaction's (or read's) view of the tables, begun when a table is first used, so
    views without tables never touch the database."""

    def __init__(self, store: MemoryViewStore, view: str, *, write: bool) -> None:
        self._store = store
        self._view = view
        self._write = write
        self._tables: ViewTables | None = None
        self._began = False

    def _open(self) -> ViewTables:
        if self._tables is None:
            db = self._store._database()
            if self._write and not db.in_transaction:
                db.execute("BEGIN")
                self._began = True
            self._tables = ViewTables(
                self._store._tables, db.cursor(), self._view, write=self._write
            )
        return self._tables

    def writer(self, name: str) -> TableRows:
        return self._open().writer(name)

    def reader(self, name: str) -> TableReader:
        return self._open().reader(name)

    def end(self, *, commit: bool) -> None:
        if self._began:
            self._store._database().execute("COMMIT" if commit else "ROLLBACK")


class MemoryViewStore(ViewStore):
    """Views in this process: for the hot path's directory and for tests.

    Key rows are live Python objects, changed in place (a failed transaction keeps the key-row
    changes made before the failure, though not its position); tables live in an in-memory
    SQLite database, through the SQLite store's code, and roll back with the position."""

    def __init__(self) -> None:
        self._views: dict[str, dict[str, Any]] = {}
        self._positions: dict[str, int] = {}
        self._codec = MsgpackTranscoder()
        # Reentrant: a transaction opened inside another on the same thread shares its tables.
        self._lock = threading.RLock()
        self._tables = SqlTables(SQLITE, self._codec)
        self._db: sqlite3.Connection | None = None

    def _database(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            self._db.execute(META_TABLE_SQL)
        return self._db

    def rows(self, view: str) -> Rows:
        return _DictRows(self._views.setdefault(view, {}))

    def declare(self, view: str, tables: Iterable[Table]) -> None:
        self._tables.declare(view, tables)

    def position(self, view: str) -> int:
        return self._positions.get(view, 0)

    @contextmanager
    def transaction(self, view: str) -> Iterator[TrackedRows]:
        with self._lock:
            tables = _Tables(self, view, write=True)
            rows = _DictRows(self._views.setdefault(view, {}), tables.writer)
            rows.start_position = self._positions.get(view, 0)
            try:
                yield rows
            except BaseException:
                tables.end(commit=False)
                raise
            tables.end(commit=True)
            if rows.position is not None:
                self._positions[view] = rows.position

    @contextmanager
    def read(self, view: str) -> Iterator[ViewReader]:
        with self._lock:
            tables = _Tables(self, view, write=False)
            yield ReadOnlyRows(_DictRows(self._views.get(view, {})), tables.reader)

    def dump(self, view: str) -> Iterator[tuple[str, bytes]]:
        with self._lock:
            data = self._views.get(view, {})
            rows = [(key, self._codec.encode(plain(data[key]))) for key in sorted(data)]
            if self._db is None:
                return iter(rows)
            return self._tables.dump(self._db.cursor(), view, rows)

    def drop(self, view: str) -> None:
        with self._lock:
            self._views.pop(view, None)
            self._positions.pop(view, None)
            if self._db is not None:
                self._db.execute("BEGIN")
                try:
                    self._tables.drop(self._db.cursor(), view)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
