"""The attribution actor: decides for the devices of the SDK events its process stored.

Events are routed to a lane by a stable hash of (app, device identifier); each lane serves its
inbox one batch at a time, so two events of one device are never decided at once in this
process. Across processes (several web processes) the store arbitrates: a decision is only
ever recorded by a conflict-checked save (see ``AttributionService``).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import trio

from tracker.domain.attribution import device_keys
from tracker.domain.ingest import SdkEventReceived
from tracker.services.attribution import AttributionService


class _Job:
    def __init__(self, events: list[SdkEventReceived]) -> None:
        self.events = events
        self.done = trio.Event()
        self.result: dict[str, dict[str, Any]] = {}
        self.error: BaseException | None = None


def lane_of(event: SdkEventReceived, lanes: int) -> int:
    """The instance id first: every event of one installation lands in one lane. A reinstall
    (a new instance id) may land elsewhere than the device's old events; the store settles it."""
    kind, value = (device_keys(event.device) or [("event", event.event_id)])[0]
    return zlib.crc32(f"{event.app_id}/{kind}:{value}".encode()) % lanes


def group_by_device(events: Sequence[SdkEventReceived]) -> list[list[SdkEventReceived]]:
    """Events sharing any identifier stay together and in order (an SDK batch is one group)."""
    groups: list[list[SdkEventReceived]] = []
    owner: dict[tuple[str, str, str], int] = {}
    for event in events:
        keys = [(event.app_id, k, v) for k, v in device_keys(event.device)]
        index = next((owner[k] for k in keys if k in owner), None)
        if index is None:
            index = len(groups)
            groups.append([])
        groups[index].append(event)
        for k in keys:
            owner.setdefault(k, index)
    return groups


class AttributorActor:
    """Implements ``tracker.services.ingest.AttributionPort``.

    Clicks stored a moment before an install must be in the touchpoint index before it is
    decided. With ``refresh_touchpoints`` (a process that owns the views) the actor catches
    the index up itself; otherwise it waits, up to ``index_wait_seconds``, for the process
    that owns it (``tracker worker``) to get there."""

    def __init__(
        self,
        service: AttributionService,
        *,
        refresh_touchpoints: bool = True,
        index_wait_seconds: float = 5.0,
        index_poll_seconds: float = 0.02,
        lanes: int = 4,
        inbox_size: int = 64,
        threads: int = 2,
    ) -> None:
        self.service = service
        self._refresh = refresh_touchpoints
        self._index_wait = index_wait_seconds
        self._index_poll = index_poll_seconds
        self._lanes = lanes
        self._inbox_size = inbox_size
        self._limiter = trio.CapacityLimiter(threads)
        self._inboxes: list[trio.MemorySendChannel[_Job]] = []

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            senders = []
            for _ in range(self._lanes):
                send, receive = trio.open_memory_channel[_Job](self._inbox_size)
                senders.append(send)
                nursery.start_soon(self._serve, receive)
            self._inboxes = senders
            task_status.started()

    async def _serve(self, inbox: trio.MemoryReceiveChannel[_Job]) -> None:
        async with inbox:
            async for job in inbox:
                try:
                    if not self._refresh:
                        await self._index_caught_up()
                    job.result = await trio.to_thread.run_sync(
                        self._work, job.events, limiter=self._limiter
                    )
                except Exception as error:  # handed to the caller, the lane goes on
                    job.error = error
                job.done.set()

    async def _index_caught_up(self) -> None:
        service = self.service
        head = await trio.to_thread.run_sync(service.ingest_head, limiter=self._limiter)
        with trio.fail_after(self._index_wait):
            while await trio.to_thread.run_sync(
                service.touchpoints_behind, head, limiter=self._limiter
            ):
                await trio.sleep(self._index_poll)

    def _work(self, events: list[SdkEventReceived]) -> dict[str, dict[str, Any]]:
        if self._refresh:
            self.service.refresh_touchpoints()
        answers: dict[str, dict[str, Any]] = {}
        for event in events:
            extra = self.service.handle(event)
            if extra:
                answers[event.event_id] = extra
        return answers

    async def on_sdk_events(self, events: Sequence[SdkEventReceived]) -> dict[str, dict[str, Any]]:
        if not events:
            return {}
        if not self._inboxes:
            raise RuntimeError("the attributor is not running")
        jobs = [_Job(group) for group in group_by_device(events)]
        for job in jobs:
            await self._inboxes[lane_of(job.events[0], self._lanes)].send(job)
        answers: dict[str, dict[str, Any]] = {}
        for job in jobs:
            await job.done.wait()
            if job.error is not None:
                raise job.error
            answers.update(job.result)
        return answers
