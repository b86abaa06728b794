"""Group commit of clicks and impressions: one transaction for many, under a bounded inbox."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import trio
import trio.testing
from eventsourcing.persistence import StoredEvent

from tracker.application import TrackerApplication
from tracker.ingest.store import WriteFailed, insert_stored_events

__all__ = ["IngestWriterActor", "WriteFailed"]

log = logging.getLogger(__name__)


class _Batch:
    """Events that commit together; every writer waiting on it wakes once, on one event."""

    __slots__ = ("done", "error", "events")

    def __init__(self) -> None:
        self.events: list[StoredEvent] = []
        self.done = trio.Event()
        self.error: BaseException | None = None


class IngestWriterActor:
    """Collects stored events from request handlers and inserts them in batches of at most
    ``batch_max`` in one transaction each. ``write`` returns only after the transaction
    holding its event has committed.

    A batch starts its commit as soon as the event loop has nothing else to run (every
    request that has arrived has joined it), or ``batch_latency_ms`` after its first event
    when the loop stays busy, or when it is full. With no latency allowed, it commits at
    once. At most ``queue_size`` events wait for a commit: further writers wait for room,
    so a slow store slows the HTTP layer down instead of growing memory.

    A commit runs in a worker thread, so the loop keeps serving while it waits for the disk;
    but with ``inline_when_idle`` a batch that started because the loop went idle commits on
    the loop itself: there is nothing to overlap then, and the two thread hand-offs cost
    about as much as the commit (measured in docs/performance.md). For SQLite, a local file;
    a PostgreSQL commit crosses the network and always goes to the thread."""

    def __init__(
        self,
        app: TrackerApplication,
        *,
        queue_size: int,
        batch_max: int,
        batch_latency_ms: float,
        on_committed: Callable[[], None] = lambda: None,
        run_sync: Callable[..., Awaitable[Any]] = trio.to_thread.run_sync,
        inline_when_idle: bool = False,
    ) -> None:
        self._insert = partial(insert_stored_events, app)
        self._batch_max = max(1, batch_max)
        self._queue_size = max(1, queue_size)
        self._latency = max(0.0, batch_latency_ms / 1000)
        self._on_committed = on_committed
        self._run_sync = run_sync
        self._inline_when_idle = inline_when_idle
        self._limiter = trio.CapacityLimiter(1)
        self._waiting: deque[_Batch] = deque()
        self._queued = 0
        self._closed = False
        self._arrived = trio.lowlevel.ParkingLot()
        self._room = trio.lowlevel.ParkingLot()

    async def write(self, event: StoredEvent) -> None:
        """Store one event durably; raises WriteFailed when it could not be stored."""
        while self._queued >= self._queue_size and not self._closed:
            await self._room.park()
        if self._closed:
            raise WriteFailed("the ingest writer is not running")
        waiting = self._waiting
        if not waiting or len(waiting[-1].events) >= self._batch_max:
            waiting.append(_Batch())
        batch = waiting[-1]
        batch.events.append(event)
        self._queued += 1
        self._arrived.unpark_all()
        await batch.done.wait()
        if batch.error is not None:
            raise WriteFailed(str(batch.error)) from batch.error

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            await self._serve()
        finally:
            # Cancelled before draining (the shutdown's grace ran out): nobody waits forever,
            # and nothing unstored is answered as stored.
            self._closed = True
            while self._waiting:
                self._abandon(self._waiting.popleft())
            self._room.unpark_all()

    def _abandon(self, batch: _Batch) -> None:
        if not batch.done.is_set():
            batch.error = WriteFailed("the ingest writer stopped")
            batch.done.set()

    async def _serve(self) -> None:
        waiting = self._waiting
        while True:
            if not waiting:
                if self._closed:
                    return
                await self._arrived.park()
                continue
            idle = False
            if len(waiting[0].events) < self._batch_max and self._latency > 0:
                with trio.move_on_after(self._latency) as waited:
                    await trio.testing.wait_all_tasks_blocked()
                idle = not waited.cancelled_caught
            batch = waiting.popleft()
            self._queued -= len(batch.events)
            self._room.unpark_all()
            await self._commit(batch, inline=idle and self._inline_when_idle)

    async def _commit(self, batch: _Batch, *, inline: bool) -> None:
        try:
            if inline:
                self._insert(batch.events)
            else:
                await self._run_sync(partial(self._insert, batch.events), limiter=self._limiter)
        except trio.Cancelled:
            self._abandon(batch)
            raise
        except Exception as e:
            log.exception("ingest batch of %d events not stored", len(batch.events))
            batch.error = e
        batch.done.set()
        if batch.error is None:
            self._on_committed()
        if inline:
            await trio.lowlevel.checkpoint()

    def backlog(self) -> tuple[int, int]:
        """(events waiting for a commit, writers waiting for room in the inbox)."""
        return self._queued, len(self._room)

    def close(self) -> None:
        """No more writes; the actor stores what it holds and ends."""
        self._closed = True
        self._arrived.unpark_all()
        self._room.unpark_all()
