"""The projector keeps persisted views current: woken by writers, polling when idle, and
never more often than its minimum interval."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio

from tracker.actors.projector import ProjectorActor
from tracker.bootstrap import Tracker


async def _inline(fn, limiter=None):
    # A worker thread's real time would race the virtual clock.
    return fn()


@asynccontextmanager
async def running(tracker: Tracker, *, idle_seconds: float) -> AsyncIterator[ProjectorActor]:
    """A projector (minimum interval 1 s) that has caught up once; stopped at the end."""
    projector = ProjectorActor(
        tracker, idle_seconds=idle_seconds, min_interval_seconds=1, run_sync=_inline
    )
    with trio.fail_after(300):
        async with trio.open_nursery() as nursery:
            await nursery.start(projector.run)
            await projector.caught_up.wait()
            yield projector
            nursery.cancel_scope.cancel()


def _register(tracker: Tracker, title: str) -> None:
    tracker.catalog_service.register_app(
        title=title, platform="web", store_url=None, bundle_id=None, attribution=None
    )


async def test_a_woken_projector_applies_new_events_after_its_minimum_interval(
    tracker: Tracker, autojump_clock
) -> None:
    async with running(tracker, idle_seconds=60) as projector:
        position = tracker.views.position("catalog")
        _register(tracker, "New")
        began = trio.current_time()
        projector.wake()
        await projector.caught_up.wait()
        assert 1 <= trio.current_time() - began < 60  # woken, not polled
        assert tracker.views.position("catalog") == position + 1


async def test_an_idle_projector_polls_for_other_processes_writes(
    tracker: Tracker, autojump_clock
) -> None:
    async with running(tracker, idle_seconds=5) as projector:
        _register(tracker, "Written elsewhere")  # nobody wakes the projector
        began = trio.current_time()
        await projector.caught_up.wait()
        assert trio.current_time() - began >= 5
        assert any(a.title == "Written elsewhere" for a in _apps(tracker))


def _apps(tracker: Tracker) -> list:
    from tracker.projections.base import prefix_range

    with tracker.views.transaction("catalog") as rows:
        lo, hi = prefix_range("app/")
        return [value for _, value in rows.scan(lo, hi)]


async def test_many_wakes_within_the_interval_make_one_round(
    tracker: Tracker, autojump_clock
) -> None:
    async with running(tracker, idle_seconds=60) as projector:
        rounds = projector.rounds
        for n in range(10):
            _register(tracker, f"App {n}")
            projector.wake()
            await trio.sleep(0.05)
        await projector.caught_up.wait()
        assert projector.rounds == rounds + 1
