from __future__ import annotations

from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from tracker.bootstrap import Tracker


class DirectoryActor:
    """Keeps this process's in-memory catalog current with changes made by other processes."""

    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self._tracker.refresh_directory()
        task_status.started()
        interval = self._tracker.settings.catalog_poll_ms / 1000
        while True:
            await trio.sleep(interval)
            self._tracker.refresh_directory()
