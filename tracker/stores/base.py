"""The view store interface, and catch-up: running a projection into a store.

A view keeps rows ordered by key (so range scans serve as indices) together with the position
of the last event applied, written in the same transaction: each event is applied exactly once,
and a view can be dropped and rebuilt from zero.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from eventsourcing.application import Application
from eventsourcing.utils import get_topic, resolve_topic

from tracker.projections.base import Projection, Rows


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


def plain(value: Any) -> Any:
    """A value as stored: objects (aggregates) become their attribute dicts."""
    if hasattr(value, "__dict__") and not isinstance(value, type):
        state = {k: v for k, v in vars(value).items() if k != "_pending_events"}
        state["__topic__"] = get_topic(type(value))
        return state
    return value


def restore(value: Any) -> Any:
    """The inverse of ``plain``."""
    if isinstance(value, dict) and "__topic__" in value:
        cls = resolve_topic(value.pop("__topic__"))
        obj = cls.__new__(cls)
        obj.__dict__.update(value)
        obj.__dict__["_pending_events"] = []
        return obj
    return value


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
