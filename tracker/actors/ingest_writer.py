"""Group commit of clicks and impressions: one transaction for many, under a bounded inbox."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import trio
from eventsourcing.persistence import StoredEvent

from tracker.application import TrackerApplication

log = logging.getLogger(__name__)


class WriteFailed(Exception):
    """The event was not stored: nothing may be answered as if it were."""


class _Pending:
    __slots__ = ("done", "error", "event")

    def __init__(self, event: StoredEvent) -> None:
        self.event = event
        self.done = trio.Event()
        self.error: BaseException | None = None


class IngestWriterActor:
    """Collects stored events from request handlers and inserts them in batches: up to
    ``batch_max`` events, or what arrived within ``batch_latency_ms`` of the batch's first
    event, in one ``insert_events`` call (one transaction). ``write`` returns only after the
    transaction holding its event has committed. The inbox is bounded, so a slow store slows
    the HTTP layer down instead of growing memory."""

    def __init__(
        self,
        app: TrackerApplication,
        *,
        queue_size: int,
        batch_max: int,
        batch_latency_ms: float,
        on_committed: Callable[[], None] = lambda: None,
        run_sync: Callable[..., Awaitable[Any]] = trio.to_thread.run_sync,
    ) -> None:
        self._app = app
        self._batch_max = max(1, batch_max)
        self._latency = max(0.0, batch_latency_ms / 1000)
        self._on_committed = on_committed
        self._run_sync = run_sync
        self._send, self._receive = trio.open_memory_channel[_Pending](max(1, queue_size))
        self._limiter = trio.CapacityLimiter(1)
        self.batches = 0
        self.events = 0

    async def write(self, event: StoredEvent) -> None:
        """Store one event durably; raises WriteFailed when it could not be stored."""
        pending = _Pending(event)
        try:
            await self._send.send(pending)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            raise WriteFailed("the ingest writer is not running") from None
        await pending.done.wait()
        if pending.error is not None:
            raise WriteFailed(str(pending.error)) from pending.error

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        receive = self._receive
        async with receive:
            while True:
                try:
                    first = await receive.receive()
                except trio.EndOfChannel:
                    return
                batch = [first]
                deadline = trio.current_time() + self._latency
                while len(batch) < self._batch_max:
                    try:
                        batch.append(receive.receive_nowait())
                        continue
                    except trio.WouldBlock:
                        pass
                    except trio.EndOfChannel:
                        break
                    if trio.current_time() >= deadline:
                        break
                    with trio.move_on_at(deadline):
                        try:
                            batch.append(await receive.receive())
                        except trio.EndOfChannel:
                            break
                await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        events = [p.event for p in batch]
        error: BaseException | None = None
        try:
            await self._run_sync(
                partial(self._app.recorder.insert_events, events), limiter=self._limiter
            )
        except Exception as e:
            log.exception("ingest batch of %d events not stored", len(events))
            error = e
        for p in batch:
            p.error = error
            p.done.set()
        if error is None:
            self.batches += 1
            self.events += len(events)
            self._on_committed()

    def close(self) -> None:
        """No more writes; the actor stores what it holds and ends."""
        self._send.close()
