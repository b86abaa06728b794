"""The supervisor starts a process's actors and stops them: the ingest writer drains first
(every click it holds is committed and answered), then the others are cancelled."""

from __future__ import annotations

import pytest
import trio

from tests.actors.test_ingest_writer import RecordingApp, _event
from tracker.actors.ingest_writer import IngestWriterActor, WriteFailed
from tracker.actors.supervisor import Supervisor


class Forever:
    """An actor that serves until cancelled, noting that it was."""

    def __init__(self) -> None:
        self.cancelled = False

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            self.cancelled = True
            raise


class GatedCommits:
    """Stands for a slow disk: a commit waits until the test opens the gate."""

    def __init__(self) -> None:
        self.gate = trio.Event()
        self.started = trio.Event()

    async def __call__(self, fn, *, limiter=None):
        self.started.set()
        await self.gate.wait()
        return fn()


async def test_stop_commits_and_answers_every_click_the_writer_holds(tmp_path, autojump_clock):
    app = RecordingApp(tmp_path)
    commits = GatedCommits()
    writer = IngestWriterActor(
        app, queue_size=64, batch_max=4, batch_latency_ms=0, run_sync=commits
    )
    other = Forever()
    supervisor = Supervisor([other, writer], draining=[writer])
    answered: list[int] = []
    refused: list[int] = []

    async def click(n: int) -> None:
        try:
            await writer.write(_event())
        except WriteFailed:
            refused.append(n)
        else:
            answered.append(n)

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            async with trio.open_nursery() as clients:
                for n in range(10):
                    clients.start_soon(click, n)
                await commits.started.wait()
                nursery.start_soon(supervisor.stop)  # the signal arrives mid-commit
                await trio.sleep(1)
                assert not other.cancelled  # nothing is cancelled while clicks are held
                clients.start_soon(click, 10)  # arrives after the stop: refused
                await trio.sleep(1)
                commits.gate.set()
    assert sorted(answered) == list(range(10))
    assert refused == [10]
    assert app.stored() == 10
    assert other.cancelled


async def test_stop_gives_up_on_a_writer_that_never_finishes(tmp_path, autojump_clock):
    commits = GatedCommits()  # never opened
    writer = IngestWriterActor(
        RecordingApp(tmp_path), queue_size=8, batch_max=4, batch_latency_ms=0, run_sync=commits
    )
    supervisor = Supervisor([writer], draining=[writer], grace_seconds=3)
    outcome: list[str] = []

    async def click() -> None:
        try:
            await writer.write(_event())
        except WriteFailed:
            outcome.append("refused")  # answered 503: not claimed as stored
        else:
            outcome.append("stored")

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            nursery.start_soon(click)
            await commits.started.wait()
            started = trio.current_time()
            await supervisor.stop()
            assert trio.current_time() - started >= 3
    assert outcome == ["refused"]


class FailsOnce:
    """Starts, then fails once after it started; the second run serves until cancelled."""

    def __init__(self) -> None:
        self.runs = 0

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self.runs += 1
        task_status.started()
        if self.runs == 1:
            await trio.sleep(1)
            raise ValueError("text with a NUL character")
        await trio.sleep_forever()


class CannotStart:
    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        raise OSError("no such database")


async def test_a_failed_actor_is_restarted_and_the_others_go_on(autojump_clock):
    failing, other = FailsOnce(), Forever()
    supervisor = Supervisor([failing, other])
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            while failing.runs < 2:
                await trio.sleep(0.5)
            assert not other.cancelled
            failure = supervisor.failures["FailsOnce"]
            assert (failure.count, failure.error) == (1, "ValueError: text with a NUL character")
            await supervisor.stop()
    assert other.cancelled


async def test_an_actor_that_cannot_start_fails_the_process():
    supervisor = Supervisor([Forever(), CannotStart()])
    with pytest.raises(BaseExceptionGroup) as caught, trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
    assert caught.value.subgroup(OSError) is not None
    assert supervisor.failures == {}
