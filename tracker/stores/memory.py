"""Views kept as live Python objects in this process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tracker.codec import MsgpackTranscoder
from tracker.projections.base import Rows
from tracker.stores.base import TrackedRows, ViewStore, plain


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
            yield key, self._codec.encode(plain(data[key]))

    def drop(self, view: str) -> None:
        self._views.pop(view, None)
        self._positions.pop(view, None)
