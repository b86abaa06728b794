"""Starts the actors of one process and stops them: the ones that hold accepted work drain
first, then the rest are cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import trio


class Actor(Protocol):
    async def run(self, *, task_status: trio.TaskStatus[None] = ...) -> None: ...


class DrainingActor(Actor, Protocol):
    def close(self) -> None:
        """Take no more work; ``run`` returns once what was taken is done."""


class Supervisor:
    """Starts every actor of one process, each once it is ready, in a nursery it owns.

    ``stop`` closes the draining actors (the ingest writer: every click it holds is committed
    and answered) and waits for them up to ``grace_seconds``, then cancels the others."""

    def __init__(
        self,
        actors: Sequence[Actor],
        *,
        draining: Sequence[DrainingActor] = (),
        grace_seconds: float = 10.0,
    ) -> None:
        self.actors = list(actors)
        self._draining = list(draining)
        self.grace_seconds = grace_seconds
        self._finished: dict[int, trio.Event] = {id(a): trio.Event() for a in self.actors}
        self._cancel = trio.CancelScope()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with self._cancel:
            async with trio.open_nursery() as nursery:
                for actor in self.actors:
                    await nursery.start(self._supervise, actor)
                task_status.started()

    async def _supervise(
        self, actor: Actor, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        try:
            await actor.run(task_status=task_status)
        finally:
            self._finished[id(actor)].set()

    async def stop(self) -> None:
        for actor in self._draining:
            actor.close()
        with trio.move_on_after(self.grace_seconds):
            for actor in self._draining:
                await self._finished[id(actor)].wait()
        self._cancel.cancel()
