"""SQL shared by the SQLite and PostgreSQL stores."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracker.codec import MsgpackTranscoder
from tracker.stores.base import plain, restore


class SqlRows:
    """Key rows of one view in the ``view_rows`` table, through a DB-API cursor."""

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

    def track(self, position: int) -> None:
        self.position = position
