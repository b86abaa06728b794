"""``tracker worker``: the background actors without HTTP."""

from __future__ import annotations

import signal

import trio

from tracker.bootstrap import Role, bootstrap, build_process, settle_heap_for_serving
from tracker.settings import Settings


def run_worker(settings: Settings) -> None:
    tracker = bootstrap(settings)
    process = build_process(tracker, Role.WORKER)
    settle_heap_for_serving()

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(process.supervisor.run)
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    break
            await process.supervisor.stop()

    try:
        trio.run(main)
    finally:
        tracker.close()
