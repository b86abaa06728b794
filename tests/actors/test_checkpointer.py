"""The checkpointer moves the WAL's frames into the database, so the writer's WAL is reused
from its start instead of growing until SQLite checkpoints inside a commit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import trio

from tracker.actors.checkpointer import CheckpointActor, checkpoint


def _writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # only the checkpointer moves frames
    conn.execute("CREATE TABLE t (x BLOB)")
    return conn


def _write(conn: sqlite3.Connection, n: int = 50) -> None:
    for _ in range(n):
        conn.execute("INSERT INTO t VALUES (randomblob(4000))")


async def _in_this_thread(fn, limiter=None):
    # A worker thread's real time would race the virtual clock.
    return fn()


def _wal_size(path: Path) -> int:
    return Path(f"{path}-wal").stat().st_size


def test_without_checkpoints_the_wal_grows(tmp_path: Path) -> None:
    path = tmp_path / "ingest.sqlite"
    writer = _writer(path)
    _write(writer)
    first = _wal_size(path)
    _write(writer)
    assert _wal_size(path) > first * 1.8
    writer.close()


def test_after_a_checkpoint_the_writer_reuses_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "ingest.sqlite"
    writer = _writer(path)
    _write(writer)
    first = _wal_size(path)
    checkpoint(path)
    _write(writer)
    assert _wal_size(path) <= first * 1.1
    assert writer.execute("SELECT count(*) FROM t").fetchone() == (100,)
    writer.close()


async def test_the_actor_checkpoints_every_interval(tmp_path: Path, autojump_clock) -> None:
    path = tmp_path / "ingest.sqlite"
    writer = _writer(path)
    _write(writer)
    first = _wal_size(path)
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            actor = CheckpointActor(path, interval_seconds=5, run_sync=_in_this_thread)
            await nursery.start(actor.run)
            started = trio.current_time()
            await actor.checkpointed.wait()
            assert trio.current_time() - started >= 5
            nursery.cancel_scope.cancel()
    _write(writer)
    assert _wal_size(path) <= first * 1.1
    writer.close()
