"""Starts the actors of one process, restarts one that fails, and stops them: the ones that
hold accepted work drain first, then the rest are cancelled."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import trio

log = logging.getLogger(__name__)


class Actor(Protocol):
    async def run(self, *, task_status: trio.TaskStatus[None] = ...) -> None: ...


class DrainingActor(Actor, Protocol):
    def close(self) -> None:
        """Take no more work; ``run`` returns once what was taken is done."""


@dataclass
class ActorFailure:
    """How often an actor failed since the process started, and its last error."""

    count: int
    error: str
    at: float  # trio.current_time()


def restart_delay(failures: int) -> float:
    """1 s after the first failure, doubling up to a minute."""
    return float(min(60, 2 ** (failures - 1)))


class Supervisor:
    """Starts every actor of one process, each once it is ready, in a nursery it owns.

    One for one: an actor that fails after it started is logged, noted in ``failures`` and
    started again after ``restart_delay``; the others go on (a projection that cannot take an
    event must not stop clicks and installs from being stored and attributed). An actor that
    fails to start fails the process.

    ``stop`` closes the draining actors (the ingest writer: every click it holds is committed
    and answered) and waits for them up to ``grace_seconds``, then cancels the others."""

    def __init__(
        self,
        actors: Sequence[Actor],
        *,
        draining: Sequence[DrainingActor] = (),
        grace_seconds: float = 10.0,
        delay: Callable[[int], float] = restart_delay,
    ) -> None:
        self.actors = list(actors)
        self._draining = list(draining)
        self.grace_seconds = grace_seconds
        self._delay = delay
        self._finished: dict[int, trio.Event] = {id(a): trio.Event() for a in self.actors}
        self._cancel = trio.CancelScope()
        self.failures: dict[str, ActorFailure] = {}

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        with self._cancel:
            async with trio.open_nursery() as nursery:
                for actor in self.actors:
                    await nursery.start(self._supervise, actor)
                task_status.started()

    async def _supervise(
        self, actor: Actor, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        name = type(actor).__name__
        started = False
        try:
            while True:
                try:
                    async with trio.open_nursery() as running:
                        await running.start(actor.run)
                        if not started:
                            started = True
                            task_status.started()
                    return
                except Exception as error:  # trio.Cancelled is not an Exception: stop passes
                    if not started:
                        raise
                    failure = self._note(name, error)
                    delay = self._delay(failure.count)
                    log.error(
                        "%s failed (%d times); restarting in %.0f s",
                        name,
                        failure.count,
                        delay,
                        exc_info=error,
                    )
                    await trio.sleep(delay)
        finally:
            self._finished[id(actor)].set()

    def _note(self, name: str, error: BaseException) -> ActorFailure:
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        count = self.failures[name].count + 1 if name in self.failures else 1
        failure = ActorFailure(count, f"{type(error).__name__}: {error}", trio.current_time())
        self.failures[name] = failure
        return failure

    async def stop(self) -> None:
        for actor in self._draining:
            actor.close()
        with trio.move_on_after(self.grace_seconds):
            for actor in self._draining:
                await self._finished[id(actor)].wait()
        self._cancel.cancel()
