"""Batch reads and writes of the ingest stream, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from eventsourcing.persistence import StoredEvent

from tracker.bootstrap import Tracker
from tracker.ingest.store import insert_stored_events, select_states, stored_originator_ids

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


def test_select_states_reads_the_rows_select_notifications_reads(tracker: Tracker) -> None:
    app = tracker.stores.ingest
    other = "tracker.domain.ingest:ImpressionRecorded"
    batch = [StoredEvent(uuid.uuid4(), 1, TOPIC if i % 3 else other, bytes([i])) for i in range(12)]
    insert_stored_events(app, batch)
    ids = [n.id for n in app.recorder.select_notifications(start=1, limit=100)]
    for start, limit, stop, topics in [
        (ids[0], 100, None, [TOPIC, other]),
        (ids[2], 4, None, [TOPIC]),
        (ids[1], 100, ids[8], [other]),
    ]:
        expected = app.recorder.select_notifications(
            start=start, limit=limit, stop=stop, topics=topics
        )
        assert select_states(app, start=start, limit=limit, stop=stop, topics=topics) == [
            (n.id, n.topic, n.state) for n in expected
        ]
        assert expected
