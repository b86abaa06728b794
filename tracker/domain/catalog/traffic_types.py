"""Traffic types a user adds to the standard ones."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from tracker.domain.catalog._shared import _NS, stable_topics


@stable_topics
class TrafficType(Aggregate):
    """A user-added traffic type; the standard ones need no aggregate."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return uuid5(_NS, f"traffic-type/{name}")

    @event("Added")
    def __init__(self, name: str, title: str) -> None:
        self.name = name
        self.title = title
        self.archived = False

    @event("Archived")
    def archive(self) -> None:
        self.archived = True
