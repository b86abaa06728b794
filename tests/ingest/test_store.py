"""Batch reads and writes of the ingest stream, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from eventsourcing.persistence import StoredEvent

from tracker.bootstrap import Tracker
from tracker.ingest.store import insert_stored_events, stored_originator_ids

TOPIC = "tracker.domain.ingest:ClickRecorded"


def _events(n: int) -> list[StoredEvent]:
    return [StoredEvent(uuid.uuid4(), 1, TOPIC, b"\x80") for _ in range(n)]


def test_a_batch_is_inserted_in_order_as_one_stream_segment(tracker: Tracker) -> None:
    app = tracker.stores.ingest
    batch = _events(20)
    insert_stored_events(app, batch)
    notifications = app.recorder.select_notifications(start=1, limit=100)
    assert [n.originator_id for n in notifications] == [e.originator_id for e in batch]
    assert [n.id for n in notifications] == sorted(n.id for n in notifications)


def test_stored_ids_are_found_in_one_query_whatever_their_number(tracker: Tracker) -> None:
    app = tracker.stores.ingest
    stored = _events(1200)  # more than one SQLite statement's worth of parameters
    insert_stored_events(app, stored)
    unknown = [uuid.uuid4() for _ in range(30)]
    asked = [e.originator_id for e in stored[::7]] + unknown + [stored[0].originator_id]
    assert stored_originator_ids(app, asked) == {e.originator_id for e in stored[::7]}
    assert stored_originator_ids(app, unknown) == set()
    assert stored_originator_ids(app, []) == set()
