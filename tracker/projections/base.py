"""Projections and views.

A projection is pure: ``apply(event, rows)`` reads and writes rows of its own view and does
nothing else. A view keeps rows ordered by key (so range scans serve as indices) together with
the position of the last event applied, written in the same transaction: each event is applied
exactly once, and a view can be dropped and rebuilt from zero.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from eventsourcing.application import Application
from eventsourcing.utils import get_topic, resolve_topic

from tracker.codec import MsgpackTranscoder


class Rows(Protocol):
    def get(self, key: str) -> Any | None: ...
    def put(self, key: str, value: Any) -> None: ...
    def delete(self, key: str) -> None: ...
    def scan(
        self, lo: str, hi: str, *, reverse: bool = False, limit: int | None = None
    ) -> Iterator[tuple[str, Any]]: ...


def prefix_range(prefix: str) -> tuple[str, str]:
    """The [lo, hi) key range of every key starting with ``prefix``."""
    return prefix, prefix + "\uffff"


class Projection(ABC):
    name: str
    application: str
    topics: tuple[str, ...] = ()

    @abstractmethod
    def apply(self, event: Any, rows: Rows) -> None:
        """Apply one domain event to the view's rows."""


class ViewStore(ABC):
    """Where views live. Each view has its own rows and tracked position."""

    @abstractmethod
    def position(self, view: str) -> int: ...

    @abstractmethod
    @contextmanager
    def transaction(self, view: str) -> Iterator[TrackedRows]: ...

    @abstractmethod
    def dump(self, view: str) -> Iterator[tuple[str, bytes]]:
        """Every row of a view in key order, values encoded: for comparing two views."""

    @abstractmethod
    def drop(self, view: str) -> None: ...

    def close(self) -> None:  # noqa: B027
        pass


class TrackedRows(Rows, Protocol):
    # The view's position as read inside this transaction (locked against other writers).
    start_position: int

    def track(self, position: int) -> None: ...


class _DictRows:
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
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

    def track(self, position: int) -> None:
        self.position = position


class MemoryViewStore(ViewStore):
    """Rows kept as live Python objects: for the hot path's directory and for tests."""

    def __init__(self) -> None:
        self._views: dict[str, dict[str, Any]] = {}
        self._positions: dict[str, int] = {}
        self._codec = MsgpackTranscoder()

    def rows(self, view: str) -> Rows:
        return _DictRows(self._views.setdefault(view, {}))

    def position(self, view: str) -> int:
        return self._positions.get(view, 0)

    @contextmanager
    def transaction(self, view: str) -> Iterator[TrackedRows]:
        # Changes land in place; callers apply events from one task at a time.
        rows = _DictRows(self._views.setdefault(view, {}))
        rows.start_position = self._positions.get(view, 0)
        yield rows
        if rows.position is not None:
            self._positions[view] = rows.position

    def dump(self, view: str) -> Iterator[tuple[str, bytes]]:
        data = self._views.get(view, {})
        for key in sorted(data):
            yield key, self._codec.encode(_plain(data[key]))

    def drop(self, view: str) -> None:
        self._views.pop(view, None)
        self._positions.pop(view, None)


def _plain(value: Any) -> Any:
    """A value as stored: objects (aggregates) become their attribute dicts."""
    if hasattr(value, "__dict__") and not isinstance(value, type):
        state = {k: v for k, v in vars(value).items() if k != "_pending_events"}
        state["__topic__"] = get_topic(type(value))
        return state
    return value


def _restore(value: Any) -> Any:
    if isinstance(value, dict) and "__topic__" in value:
        cls = resolve_topic(value.pop("__topic__"))
        obj = cls.__new__(cls)
        obj.__dict__.update(value)
        obj.__dict__["_pending_events"] = []
        return obj
    return value


class _SqlRows:
    def __init__(self, cursor: Any, view: str, codec: MsgpackTranscoder, ph: str) -> None:
        self._c = cursor
        self._view = view
        self._codec = codec
        self._ph = ph
        self.position: int | None = None
        self.start_position = 0

    def _q(self, sql: str) -> str:
        return sql.replace("?", self._ph)

    def get(self, key: str) -> Any | None:
        self._c.execute(
            self._q("SELECT value FROM view_rows WHERE view = ? AND key = ?"), (self._view, key)
        )
        row = self._c.fetchone()
        return None if row is None else _restore(self._codec.decode(bytes(row[0])))

    def put(self, key: str, value: Any) -> None:
        self._c.execute(
            self._q(
                "INSERT INTO view_rows (view, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (view, key) DO UPDATE SET value = excluded.value"
            ),
            (self._view, key, self._codec.encode(_plain(value))),
        )

    def delete(self, key: str) -> None:
        self._c.execute(
            self._q("DELETE FROM view_rows WHERE view = ? AND key = ?"), (self._view, key)
        )

    def scan(
        self, lo: str, hi: str, *, reverse: bool = False, limit: int | None = None
    ) -> Iterator[tuple[str, Any]]:
        sql = (
            "SELECT key, value FROM view_rows WHERE view = ? AND key >= ? AND key < ? "
            f"ORDER BY key {'DESC' if reverse else 'ASC'}"
        )
        params: tuple = (self._view, lo, hi)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        self._c.execute(self._q(sql), params)
        for key, value in self._c.fetchall():
            yield key, _restore(self._codec.decode(bytes(value)))

    def track(self, position: int) -> None:
        self.position = position


class SqliteViewStore(ViewStore):
    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._codec = MsgpackTranscoder()
        self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(
            "CREATE TABLE IF NOT EXISTS view_rows (view TEXT NOT NULL, key TEXT NOT NULL, "
            "value BLOB NOT NULL, PRIMARY KEY (view, key)) WITHOUT ROWID;"
            "CREATE TABLE IF NOT EXISTS view_tracking (view TEXT PRIMARY KEY, "
            "position INTEGER NOT NULL);"
        )

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
                rows = _SqlRows(c, view, self._codec, "?")
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

    def dump(self, view: str) -> Iterator[tuple[str, bytes]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, value FROM view_rows WHERE view = ? ORDER BY key", (view,)
            ).fetchall()
        for key, value in rows:
            yield key, bytes(value)

    def drop(self, view: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM view_rows WHERE view = ?", (view,))
            self._conn.execute("DELETE FROM view_tracking WHERE view = ?", (view,))

    def close(self) -> None:
        self._conn.close()


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
            rows = _SqlRows(c, view, self._codec, "%s")
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


def catch_up(
    app: Application,
    projection: Projection,
    store: ViewStore,
    *,
    stop: int | None = None,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Apply every event after the view's position (up to ``stop``); return the new position."""
    position = store.position(projection.name)
    while stop is None or position < stop:
        notifications = app.recorder.select_notifications(
            start=position + 1, limit=batch, stop=stop, topics=projection.topics
        )
        if not notifications:
            break
        with store.transaction(projection.name) as rows:
            # Another catch-up (a thread, a process) may have applied some of these already.
            for n in notifications:
                if n.id > rows.start_position:
                    projection.apply(app.mapper.to_domain_event(n), rows)
            position = max(rows.start_position, notifications[-1].id)
            rows.track(position)
        if progress is not None:
            progress(position)
    return position
