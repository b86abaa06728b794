"""Projections: pure functions of events into the rows of their own view.

A projection is pure: ``apply(event, rows)`` reads and writes rows of its own view and does
nothing else. A view has key rows (key -> value, ordered by key) and the SQL tables its
projection declares (``tables``, see ``tracker.projections.tables``). Where views live and how
events reach them is ``tracker.stores``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from tracker.projections.tables import Table, TableRows

if TYPE_CHECKING:
    from tracker.stores import MemoryViewStore as MemoryViewStore
    from tracker.stores import PostgresViewStore as PostgresViewStore
    from tracker.stores import SqliteViewStore as SqliteViewStore
    from tracker.stores import TrackedRows as TrackedRows
    from tracker.stores import ViewStore as ViewStore
    from tracker.stores import catch_up as catch_up


class Rows(Protocol):
    def get(self, key: str) -> Any | None: ...
    def put(self, key: str, value: Any) -> None: ...
    def delete(self, key: str) -> None: ...
    def scan(
        self, lo: str, hi: str, *, reverse: bool = False, limit: int | None = None
    ) -> Iterator[tuple[str, Any]]: ...
    def table(self, name: str) -> TableRows:
        """One of the tables the view's projection declares."""


def prefix_range(prefix: str) -> tuple[str, str]:
    """The [lo, hi) key range of every key starting with ``prefix``."""
    return prefix, prefix + "\uffff"


class Projection(ABC):
    name: str
    application: str
    topics: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()

    @abstractmethod
    def apply(self, event: Any, rows: Rows) -> None:
        """Apply one domain event to the view's rows."""


_MOVED = (
    "MemoryViewStore",
    "PostgresViewStore",
    "SqliteViewStore",
    "TrackedRows",
    "ViewStore",
    "catch_up",
)


def __getattr__(name: str) -> Any:
    # Transitional re-export of what moved to tracker.stores (lazy: tracker.stores imports this).
    if name in _MOVED:
        import tracker.stores

        return getattr(tracker.stores, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
