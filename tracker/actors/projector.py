from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import trio

from tracker.stores import catch_up

if TYPE_CHECKING:
    from tracker.bootstrap import Tracker


class ProjectorActor:
    """Keeps the persisted views current. SQLite has no subscriptions, so it polls the
    notification log from each view's tracked position; writers ``wake()`` it after a save.

    Rounds are at least ``min_interval_seconds`` apart, so a stream of small ingest commits
    is applied in few large transactions instead of one each (the attributor catches the
    touchpoint index up itself before deciding, so nothing waits on this lag)."""

    def __init__(
        self,
        tracker: Tracker,
        *,
        idle_seconds: float = 0.5,
        min_interval_seconds: float = 0.1,
        run_sync: Callable[..., Awaitable[Any]] = trio.to_thread.run_sync,
    ) -> None:
        self._tracker = tracker
        self._idle = idle_seconds
        self._min_interval = min_interval_seconds
        self._run_sync = run_sync
        self._wakeup = trio.Event()
        self.caught_up = trio.Event()  # set after each round, then replaced
        self.rounds = 0

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        limiter = trio.CapacityLimiter(1)
        while True:
            self._wakeup = trio.Event()
            for projection in self._tracker.projections:
                app = self._tracker.stores.named(projection.application)
                await self._run_sync(
                    partial(catch_up, app, projection, self._tracker.views), limiter=limiter
                )
            self.rounds += 1
            self.caught_up.set()
            self.caught_up = trio.Event()
            await trio.sleep(self._min_interval)
            with trio.move_on_after(self._idle):
                await self._wakeup.wait()
