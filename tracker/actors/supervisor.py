from __future__ import annotations

import trio

from tracker.actors.attribution_port import AttributionPort
from tracker.actors.attributor import AttributorActor
from tracker.actors.directory import DirectoryActor
from tracker.actors.ingest_writer import IngestWriterActor
from tracker.actors.projector import ProjectorActor
from tracker.bootstrap import Tracker


class Supervisor:
    """Starts every actor of one process, each once it is ready, in a nursery it owns."""

    def __init__(self, tracker: Tracker, *, roles: tuple[str, ...] = ("web", "worker")) -> None:
        self.tracker = tracker
        self.roles = roles
        self.directory = DirectoryActor(tracker)
        self.projector = ProjectorActor(tracker)
        settings = tracker.settings
        self.ingest = IngestWriterActor(
            tracker.applications["ingest"],
            queue_size=settings.ingest_queue_size,
            batch_max=settings.ingest_batch_max,
            batch_latency_ms=settings.ingest_batch_latency_ms,
            on_committed=self.projector.wake,
            inline_when_idle=not settings.uses_postgres,
        )
        # Filled in by the ingest and attribution capabilities.
        self.attributor = AttributorActor(tracker)
        self.attribution: AttributionPort = self.attributor
        self._cancel = trio.CancelScope()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with self._cancel:
            async with trio.open_nursery() as nursery:
                await nursery.start(self.directory.run)
                await nursery.start(self.ingest.run)
                await nursery.start(self.attributor.run)
                if "worker" in self.roles:
                    await nursery.start(self.projector.run)
                task_status.started()

    def stop(self) -> None:
        self.ingest.close()
        self._cancel.cancel()
