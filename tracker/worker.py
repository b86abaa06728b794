"""``tracker worker``: the background actors without HTTP."""

from __future__ import annotations

import signal

import trio

from tracker.actors.supervisor import Supervisor
from tracker.bootstrap import bootstrap
from tracker.settings import Settings


def run_worker(settings: Settings) -> None:
    tracker = bootstrap(settings)

    async def main() -> None:
        supervisor = Supervisor(tracker, roles=("worker",))
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _ in signals:
                    break
            supervisor.stop()

    try:
        trio.run(main)
    finally:
        tracker.close()
