"""The event history of one stream, for auditors: the stored events in order with their
positions, paged; secret fields (``hidden_fields`` of an event class) show as ``<hidden>``.
Blocking: run it in a thread."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from tracker.application import EventStores

HIDDEN = "<hidden>"


def hidden(value: Any) -> Any:
    """A secret event field as the event history shows it: a mapping keeps its names (None
    still says removed), anything else set shows as ``<hidden>``."""
    if isinstance(value, dict):
        return {k: None if v is None else HIDDEN for k, v in value.items()}
    return None if value is None else HIDDEN


class HistoryService:
    def __init__(self, stores: EventStores) -> None:
        self._stores = stores

    def page(self, stream: str, *, after: int, limit: int) -> dict[str, Any]:
        """Up to ``limit`` events after position ``after``; ``next`` is the position to ask
        after for the following page, or None at the end."""
        app = self._stores.named(stream)
        notifications = app.recorder.select_notifications(start=after + 1, limit=limit)
        events = [self._record(app, n) for n in notifications]
        next_position = notifications[-1].id if len(notifications) == limit else None
        return {"stream": stream, "events": events, "next": next_position}

    @staticmethod
    def _record(app: Any, notification: Any) -> dict[str, Any]:
        event = app.mapper.to_domain_event(notification)
        secret = getattr(type(event), "hidden_fields", ())
        data = {
            k: hidden(v) if k in secret else v
            for k, v in vars(event).items()
            if k not in ("originator_id", "originator_version", "timestamp")
        }
        return {
            "position": notification.id,
            "type": notification.topic.rpartition(":")[2],
            "topic": notification.topic,
            "aggregate_id": str(notification.originator_id),
            "version": notification.originator_version,
            "ts": event.timestamp,
            "data": msgspec.to_builtins(data, enc_hook=str),
        }
