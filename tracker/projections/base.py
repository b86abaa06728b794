"""Projections: pure functions of events into the rows of their own view.

A projection is pure: ``apply(event, rows)`` reads and writes rows of its own view and does
nothing else. A view has key rows (key -> value, ordered by key) and the SQL tables its
projection declares (``tables``, see ``tracker.projections.tables``). Where views live and how
events reach them is ``tracker.stores``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol

import msgspec

from tracker.projections.tables import Table, TableRows


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
    # Topic -> a msgspec Struct of the fields this projection reads of that event. A projection
    # that declares them is given those structs instead of domain events, decoded straight
    # from the stored state: a rebuild reads millions of events and needs few of their fields.
    facts: Mapping[str, type[msgspec.Struct]] = MappingProxyType({})

    @abstractmethod
    def apply(self, event: Any, rows: Rows) -> None:
        """Apply one domain event to the view's rows."""

    def apply_all(self, events: Sequence[Any], rows: Rows) -> None:
        """Apply events in order; a projection may do it in fewer statements."""
        for event in events:
            self.apply(event, rows)
