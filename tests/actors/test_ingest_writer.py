"""IngestWriterActor: group commit, the latency bound, backpressure, failures."""

from __future__ import annotations

import trio
import trio.testing
from eventsourcing.persistence import StoredEvent

from tracker.actors.ingest_writer import IngestWriterActor, WriteFailed
from tracker.application import IngestApplication
from tracker.ingest.records import IdFactory


class RecordingApp:
    """An ingest application whose recorder notes each insert (one insert = one transaction)."""

    def __init__(self, tmp_path, *, fail: bool = False) -> None:
        self.app = IngestApplication(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(tmp_path / "ingest.sqlite"),
            }
        )
        self.inserts: list[int] = []
        self.gate: trio.Event | None = None
        real = self.app.recorder.insert_events

        def insert_events(events, **kw):
            if fail:
                raise OSError("disk full")
            self.inserts.append(len(events))
            return real(events, **kw)

        self.recorder = type("R", (), {"insert_events": staticmethod(insert_events)})()


_ids = IdFactory()


async def inline(fn, *, limiter=None):
    """Runs the store call on the loop: with a virtual clock, a worker thread would let
    time jump while it runs."""
    return fn()


def _event() -> StoredEvent:
    return StoredEvent(_ids(), 1, "tracker.domain.ingest:ClickRecorded", b"\x80")


async def test_many_writers_share_few_commits(tmp_path, autojump_clock):
    app = RecordingApp(tmp_path)
    committed = []
    writer = IngestWriterActor(
        app,
        queue_size=64,
        batch_max=50,
        batch_latency_ms=5,
        run_sync=inline,
        on_committed=lambda: committed.append(1),
    )
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            await nursery.start(writer.run)
            async with trio.open_nursery() as clients:
                for _ in range(120):
                    clients.start_soon(writer.write, _event())
            writer.close()
    assert sum(app.inserts) == 120
    assert app.inserts == [50, 50, 20]
    assert len(committed) == 3
    assert len(app.app.recorder.select_notifications(start=1, limit=500)) == 120


async def test_a_lone_event_waits_at_most_the_latency_bound(tmp_path, autojump_clock):
    app = RecordingApp(tmp_path)
    writer = IngestWriterActor(
        app, queue_size=8, batch_max=100, batch_latency_ms=20, run_sync=inline
    )
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            await nursery.start(writer.run)
            start = trio.current_time()
            await writer.write(_event())
            waited = trio.current_time() - start
            writer.close()
    assert app.inserts == [1]
    assert 0.02 <= waited < 0.03


async def test_write_returns_only_after_the_commit(tmp_path):
    app = RecordingApp(tmp_path)
    writer = IngestWriterActor(app, queue_size=8, batch_max=10, batch_latency_ms=0)
    event = _event()
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            await nursery.start(writer.run)
            await writer.write(event)
            # Durable before write() returned: a fresh reader sees it.
            assert app.app.recorder.select_events(event.originator_id)
            writer.close()


async def test_bounded_inbox_applies_backpressure(tmp_path, autojump_clock):
    app = RecordingApp(tmp_path)
    writer = IngestWriterActor(app, queue_size=2, batch_max=10, batch_latency_ms=0, run_sync=inline)
    # The actor is not running: the third sender blocks instead of growing memory.
    blocked = []
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            async with trio.open_nursery() as clients:
                for _ in range(3):
                    clients.start_soon(writer.write, _event())
                await trio.sleep(1)
                stats = writer._send.statistics()
                blocked.append((stats.current_buffer_used, stats.tasks_waiting_send))
                await nursery.start(writer.run)
            writer.close()
    assert blocked == [(2, 1)]
    assert sum(app.inserts) == 3


async def test_failed_commit_fails_every_waiting_write(tmp_path, autojump_clock):
    app = RecordingApp(tmp_path, fail=True)
    writer = IngestWriterActor(app, queue_size=8, batch_max=10, batch_latency_ms=1, run_sync=inline)
    failures = []

    async def write():
        try:
            await writer.write(_event())
        except WriteFailed:
            failures.append(1)

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            await nursery.start(writer.run)
            async with trio.open_nursery() as clients:
                for _ in range(3):
                    clients.start_soon(write)
            writer.close()
    assert failures == [1, 1, 1]


async def test_write_after_close_fails(tmp_path):
    writer = IngestWriterActor(
        RecordingApp(tmp_path), queue_size=2, batch_max=1, batch_latency_ms=0
    )
    writer.close()
    with trio.fail_after(5):
        try:
            await writer.write(_event())
        except WriteFailed:
            pass
        else:
            raise AssertionError("a closed writer accepted a write")
