from __future__ import annotations

import trio

from tracker.actors.attribution_port import AttributionPort, NoAttribution
from tracker.actors.directory import DirectoryActor
from tracker.actors.projector import ProjectorActor
from tracker.bootstrap import Tracker


class Supervisor:
    """Starts every actor of one process, each once it is ready, in a nursery it owns."""

    def __init__(self, tracker: Tracker, *, roles: tuple[str, ...] = ("web", "worker")) -> None:
        self.tracker = tracker
        self.roles = roles
        self.directory = DirectoryActor(tracker)
        self.projector = ProjectorActor(tracker)
        # Filled in by the ingest and attribution capabilities.
        self.attribution: AttributionPort = NoAttribution()
        self._cancel = trio.CancelScope()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with self._cancel:
            async with trio.open_nursery() as nursery:
                await nursery.start(self.directory.run)
                if "worker" in self.roles:
                    await nursery.start(self.projector.run)
                task_status.started()

    def stop(self) -> None:
        self._cancel.cancel()
