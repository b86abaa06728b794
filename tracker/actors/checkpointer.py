from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import trio


def checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path, timeout=1)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        conn.close()


class CheckpointActor:
    """Copies a SQLite store's write-ahead log into the database from its own connection,
    often enough that the WAL never reaches SQLite's automatic checkpoint (1,000 pages): that
    one runs inside the committing transaction, and would stall the clicks waiting on it.
    A PASSIVE checkpoint never blocks the writer."""

    def __init__(
        self,
        path: Path,
        *,
        interval_seconds: float = 1.0,
        run_sync: Callable[..., Awaitable[Any]] = trio.to_thread.run_sync,
    ) -> None:
        self._path = path
        self._run_sync = run_sync
        self._interval = interval_seconds
        self.checkpointed = trio.Event()  # set after each round, then replaced

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        limiter = trio.CapacityLimiter(1)
        while True:
            await trio.sleep(self._interval)
            # Busy or locked: the next round, or SQLite's own checkpoint, does it.
            with contextlib.suppress(sqlite3.Error):
                await self._run_sync(partial(checkpoint, self._path), limiter=limiter)
            self.checkpointed.set()
            self.checkpointed = trio.Event()
