"""IngestWriterActor: group commit, the latency bound, backpressure, failures."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager, contextmanager

import trio
import trio.testing
from eventsourcing.persistence import StoredEvent

from tracker.actors.ingest_writer import IngestWriterActor, WriteFailed
from tracker.application import IngestApplication
from tracker.ingest.records import IdFactory


class RecordingApp:
    """The ingest application on SQLite, noting the size of each insert transaction."""

    def __init__(self, tmp_path, *, fail: bool = False) -> None:
        self.app = IngestApplication(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(tmp_path / "ingest.sqlite"),
            }
        )
        self.inserts: list[int] = []
        self.threads: list[int] = []
        self.recorder = self.app.recorder
        datastore = self.recorder.datastore
        transaction = datastore.transaction

        @contextmanager
        def recording_transaction(*, commit: bool):
            with transaction(commit=commit) as cursor:
                if not commit:
                    yield cursor
                    return
                self.threads.append(threading.get_ident())
                if fail:
                    raise OSError("disk full")
                real_executemany = cursor.executemany

                def executemany(statement, rows):
                    rows = list(rows)
                    self.inserts.append(len(rows))
                    return real_executemany(statement, rows)

                cursor.executemany = executemany
                yield cursor

        datastore.transaction = recording_transaction

    def stored(self) -> int:
        return len(self.recorder.select_notifications(start=1, limit=10_000))


_ids = IdFactory()


async def inline(fn, *, limiter=None):
    """Runs the store call on the loop: with a virtual clock, a worker thread would let
    time jump while it runs."""
    return fn()


def _event() -> StoredEvent:
    return StoredEvent(_ids(), 1, "tracker.domain.ingest:ClickRecorded", b"\x80")


@asynccontextmanager
async def running(writer: IngestWriterActor):
    """The writer running in a nursery (handed out for helpers); closed at the end."""
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            await nursery.start(writer.run)
            yield nursery
            writer.close()


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
    async with running(writer), trio.open_nursery() as clients:
        for _ in range(120):
            clients.start_soon(writer.write, _event())
    assert sum(app.inserts) == 120
    assert app.inserts == [50, 50, 20]
    assert len(committed) == 3
    assert app.stored() == 120


async def test_a_lone_event_commits_as_soon_as_the_loop_is_idle(tmp_path, autojump_clock):
    app = RecordingApp(tmp_path)
    writer = IngestWriterActor(
        app, queue_size=8, batch_max=100, batch_latency_ms=20, run_sync=inline
    )
    async with running(writer):
        start = trio.current_time()
        await writer.write(_event())
        waited = trio.current_time() - start
    assert app.inserts == [1]
    assert waited == 0


async def _busy(task_status=trio.TASK_STATUS_IGNORED):
    task_status.started()
    while True:
        await trio.lowlevel.checkpoint()


async def test_a_busy_loop_holds_a_batch_open_at_most_the_latency_bound(tmp_path):
    app = RecordingApp(tmp_path)
    writer = IngestWriterActor(
        app, queue_size=8, batch_max=100, batch_latency_ms=20, run_sync=inline
    )

    async with running(writer) as nursery:
        await nursery.start(_busy)
        start = trio.current_time()
        await writer.write(_event())
        waited = trio.current_time() - start
        nursery.cancel_scope.cancel()
    assert app.inserts == [1]
    # Never idle, so the commit waited for the bound, and not much longer.
    assert 0.02 <= waited < 1


async def test_an_idle_loop_commits_on_the_loop_a_busy_one_in_a_worker_thread(tmp_path):
    app = RecordingApp(tmp_path)
    writer = IngestWriterActor(
        app, queue_size=8, batch_max=100, batch_latency_ms=20, inline_when_idle=True
    )
    async with running(writer) as nursery:
        await writer.write(_event())
        await nursery.start(_busy)
        await writer.write(_event())
        nursery.cancel_scope.cancel()
    loop_thread = threading.get_ident()
    assert app.inserts == [1, 1]
    assert app.threads[0] == loop_thread
    assert app.threads[1] != loop_thread


async def test_without_inline_commits_every_commit_goes_to_a_worker_thread(tmp_path):
    app = RecordingApp(tmp_path)
    writer = IngestWriterActor(app, queue_size=8, batch_max=100, batch_latency_ms=20)
    async with running(writer):
        await writer.write(_event())
    assert app.inserts == [1]
    assert app.threads[0] != threading.get_ident()


async def test_writers_arriving_while_the_loop_is_busy_share_one_commit(tmp_path, autojump_clock):
    app = RecordingApp(tmp_path)
    writer = IngestWriterActor(
        app, queue_size=64, batch_max=100, batch_latency_ms=5, run_sync=inline
    )

    async def request(delay_steps: int) -> None:
        for _ in range(delay_steps):  # parsing a request: the loop stays busy meanwhile
            await trio.lowlevel.checkpoint()
        await writer.write(_event())

    async with running(writer), trio.open_nursery() as clients:
        for i in range(16):
            clients.start_soon(request, i * 3)
    assert app.inserts == [16]


async def test_write_returns_only_after_the_commit(tmp_path):
    app = RecordingApp(tmp_path)
    writer = IngestWriterActor(app, queue_size=8, batch_max=10, batch_latency_ms=0)
    event = _event()
    async with running(writer):
        await writer.write(event)
        # Durable before write() returned: a fresh reader sees it.
        assert app.app.recorder.select_events(event.originator_id)


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
                blocked.append(writer.backlog())
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

    async with running(writer), trio.open_nursery() as clients:
        for _ in range(3):
            clients.start_soon(write)
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
