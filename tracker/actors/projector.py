from __future__ import annotations

from functools import partial

import trio

from tracker.bootstrap import Tracker
from tracker.projections.base import catch_up


class ProjectorActor:
    """Keeps the persisted views current. SQLite has no subscriptions, so it polls the
    notification log from each view's tracked position; writers ``wake()`` it after a save."""

    def __init__(self, tracker: Tracker, *, idle_seconds: float = 0.5) -> None:
        self._tracker = tracker
        self._idle = idle_seconds
        self._wakeup = trio.Event()
        self.caught_up = trio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        limiter = trio.CapacityLimiter(1)
        while True:
            self._wakeup = trio.Event()
            for projection in self._tracker.projections:
                app = self._tracker.applications[projection.application]
                await trio.to_thread.run_sync(
                    partial(catch_up, app, projection, self._tracker.views), limiter=limiter
                )
            self.caught_up.set()
            self.caught_up = trio.Event()
            with trio.move_on_after(self._idle):
                await self._wakeup.wait()
