"""The view store interface, and catch-up: running a projection into a store.

A view keeps rows ordered by key (so range scans serve as indices) and the tables its
projection declares, together with the position of the last event applied, written in the same
transaction: each event is applied exactly once, and a view can be dropped and rebuilt from zero.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from eventsourcing.application import Application
from eventsourcing.utils import get_topic, resolve_topic

from tracker.codec import MsgpackTranscoder
from tracker.ingest.store import select_states
from tracker.projections.base import Projection, Rows
from tracker.projections.tables import Table, TableReader


class ViewStore(ABC):
    """Where views live. Each view has its own key rows, tables and tracked position."""

    @abstractmethod
    def declare(self, view: str, tables: Iterable[Table]) -> None:
        """Make the view's tables known in this process (``catch_up`` declares a projection's);
        they are created in the database on the view's first transaction that uses them."""

    @abstractmethod
    def position(self, view: str) -> int: ...

    @abstractmethod
    @contextmanager
    def transaction(self, view: str) -> Iterator[TrackedRows]: ...

    @abstractmethod
    @contextmanager
    def read(self, view: str) -> Iterator[ViewReader]:
        """Read a view outside a projection: one consistent snapshot, no tracking, no writes.
        A table declared here but not built yet reads as empty."""

    @abstractmethod
    def dump(self, view: str) -> Iterator[tuple[str, bytes]]:
        """Every key row and table row of a view in key order, values encoded: for comparing
        two views. A table row's key is NUL, the table name, NUL and its primary key."""

    @abstractmethod
    def drop(self, view: str) -> None:
        """Forget the view: its key rows, its tables and its position."""

    def close(self) -> None:  # noqa: B027
        pass


class TrackedRows(Rows, Protocol):
    # The view's position as read inside this transaction (locked against other writers).
    start_position: int

    def track(self, position: int) -> None: ...


class ViewReader(Protocol):
    def get(self, key: str) -> Any | None: ...
    def scan(
        self, lo: str, hi: str, *, reverse: bool = False, limit: int | None = None
    ) -> Iterator[tuple[str, Any]]: ...
    def table(self, name: str) -> TableReader: ...


class ReadOnlyRows:
    """What ``ViewStore.read`` gives: the reads of a view's rows and its table readers."""

    def __init__(self, rows: Rows, tables: Callable[[str], TableReader]) -> None:
        self._rows = rows
        self._tables = tables

    def get(self, key: str) -> Any | None:
        return self._rows.get(key)

    def scan(
        self, lo: str, hi: str, *, reverse: bool = False, limit: int | None = None
    ) -> Iterator[tuple[str, Any]]:
        return self._rows.scan(lo, hi, reverse=reverse, limit=limit)

    def table(self, name: str) -> TableReader:
        return self._tables(name)


Read = Callable[[int, int, int | None], list[tuple[int, Any]]]


def _events_reader(app: Application, projection: Projection) -> Read:
    def read(start: int, limit: int, stop: int | None) -> list[tuple[int, Any]]:
        notifications = app.recorder.select_notifications(
            start=start, limit=limit, stop=stop, topics=projection.topics
        )
        return [(n.id, app.mapper.to_domain_event(n)) for n in notifications]

    return read


def _facts_reader(app: Application, projection: Projection) -> Read:
    """(notification id, facts) of the projection's events: the stored states decoded into its
    fact structs, or, where the store's states are not plain msgpack of this codec, the domain
    events copied into them."""
    kinds = projection.facts
    if set(kinds) != set(projection.topics):
        raise ValueError(f"projection {projection.name!r}: facts for other topics than its own")
    mapper = app.mapper
    if isinstance(mapper.transcoder, MsgpackTranscoder) and not (
        mapper.cipher or mapper.compressor
    ):
        decoders = {topic: mapper.transcoder.decoder_of(kind) for topic, kind in kinds.items()}
        topics = list(projection.topics)

        def read(start: int, limit: int, stop: int | None) -> list[tuple[int, Any]]:
            states = select_states(app, start=start, limit=limit, stop=stop, topics=topics)
            return [(id_, decoders[topic](state)) for id_, topic, state in states]

        return read
    events = _events_reader(app, projection)
    fields = {topic: kind.__struct_fields__ for topic, kind in kinds.items()}

    def copied(start: int, limit: int, stop: int | None) -> list[tuple[int, Any]]:
        found = []
        for id_, event in events(start, limit, stop):
            topic = get_topic(type(event))
            facts = {name: getattr(event, name) for name in fields[topic]}
            found.append((id_, kinds[topic](**facts)))
        return found

    return copied


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
    if projection.tables:
        store.declare(projection.name, projection.tables)
    position = store.position(projection.name)
    read = _facts_reader(app, projection) if projection.facts else _events_reader(app, projection)
    while stop is None or position < stop:
        found = read(position + 1, batch, stop)
        if not found:
            break
        with store.transaction(projection.name) as rows:
            # Another catch-up (a thread, a process) may have applied some of these already.
            events = [event for id_, event in found if id_ > rows.start_position]
            projection.apply_all(events, rows)
            position = max(rows.start_position, found[-1][0])
            rows.track(position)
        if progress is not None:
            progress(position)
    return position
