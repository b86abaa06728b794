"""SQL shared by the SQLite and PostgreSQL stores (and the memory store's tables): the
dialects, the key rows in ``view_rows`` and the ``view_tables`` catalogue."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.codec import MsgpackTranscoder
from tracker.projections.tables import TableRows
from tracker.stores.base import plain, restore

if TYPE_CHECKING:
    from tracker.stores.tables import ViewTables

# One row per created table of a view: the declaration it was created with.
META_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS view_tables (view TEXT NOT NULL, name TEXT NOT NULL, "
    "spec TEXT NOT NULL, PRIMARY KEY (view, name))"
)


@dataclass(frozen=True)
class Dialect:
    ph: str
    # Column type -> its SQL ({c}: the quoted column name).
    types: Mapping[str, str]
    # PostgreSQL's SUM of bigints is a numeric (a Decimal in Python); SQLite's an integer.
    sums_integers_as_numeric: bool = False


# SQLite turns an integer sum that overflows into a float; the check refuses it instead, as
# PostgreSQL refuses a bigint out of range.
_SQLITE_INTEGER = "INTEGER CHECK (typeof({c}) IN ('integer', 'null'))"
SQLITE = Dialect(
    "?",
    {
        "text": "TEXT",
        "integer": _SQLITE_INTEGER,
        "decimal": _SQLITE_INTEGER,
        "timestamp": _SQLITE_INTEGER,
        "blob": "BLOB",
    },
)
POSTGRES = Dialect(
    "%s",
    {
        # "C": text compares and sorts by code point, as in SQLite and in Python.
        "text": 'TEXT COLLATE "C"',
        "integer": "BIGINT",
        "decimal": "BIGINT",
        "timestamp": "BIGINT",
        "blob": "BYTEA",
    },
    sums_integers_as_numeric=True,
)


class SqlRows:
    """Key rows of one view in the ``view_rows`` table, through a DB-API cursor."""

    def __init__(
        self,
        cursor: Any,
        view: str,
        codec: MsgpackTranscoder,
        ph: str,
        tables: ViewTables | None = None,
    ) -> None:
        self._c = cursor
        self._view = view
        self._codec = codec
        self._ph = ph
        self._tables = tables
        self.position: int | None = None
        self.start_position = 0

    def _q(self, sql: str) -> str:
        return sql.replace("?", self._ph)

    def get(self, key: str) -> Any | None:
        self._c.execute(
            self._q("SELECT value FROM view_rows WHERE view = ? AND key = ?"), (self._view, key)
        )
        row = self._c.fetchone()
        return None if row is None else restore(self._codec.decode(bytes(row[0])))

    def put(self, key: str, value: Any) -> None:
        self._c.execute(
            self._q(
                "INSERT INTO view_rows (view, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (view, key) DO UPDATE SET value = excluded.value"
            ),
            (self._view, key, self._codec.encode(plain(value))),
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
            yield key, restore(self._codec.decode(bytes(value)))

    def table(self, name: str) -> TableRows:
        if self._tables is None:
            raise RuntimeError("tables are reached inside a view's transaction() or read()")
        return self._tables.writer(name)

    def track(self, position: int) -> None:
        self.position = position
