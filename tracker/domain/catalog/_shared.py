"""What the catalog's aggregates share: field checks, update recording, ids and topics."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic, register_topic

from tracker.domain.errors import DomainError

_NS = uuid5(NAMESPACE_URL, "https://tracker.invalid/")

# The catalog was this one module when its first events were stored.
TOPIC_MODULE = "tracker.domain.catalog"

_T = TypeVar("_T", bound=type)


def stable_topics(cls: _T) -> _T:
    """Give an aggregate and its event classes the topics ``tracker.domain.catalog:<qualname>``
    whichever module defines them, so that events and views stored before, and processes still
    running an earlier release, agree with this one."""
    events = [v for v in vars(cls).values() if isinstance(v, type) and issubclass(v, DomainEvent)]
    for obj in (cls, *events):
        topic = f"{TOPIC_MODULE}:{obj.__qualname__}"
        obj.TOPIC = topic  # eventsourcing's explicit topic, read by get_topic
        register_topic(topic, obj)
        if get_topic(obj) != topic:  # get_topic keeps the first topic it computed
            raise TypeError(f"{obj.__qualname__} already has the topic {get_topic(obj)}")
    return cls


def _choice(field: str, value: str | None, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise DomainError(field, f"must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _title(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("title", "must not be empty")
    if len(value) > 200:
        raise DomainError("title", "longer than 200 characters")
    return value


def _given(**values: Any) -> dict[str, Any]:
    """The fields an update names (None means: leave as it is), a title checked and trimmed."""
    given = {k: v for k, v in values.items() if v is not None}
    if "title" in given:
        given["title"] = _title(given["title"])
    return given


def _record_changes(aggregate: Any, changes: dict[str, Any]) -> None:
    """Record the aggregate's ``Updated`` event with what really changes; nothing if nothing."""
    changed = {k: v for k, v in changes.items() if getattr(aggregate, k) != v}
    if changed:
        aggregate._updated(changes=changed)
