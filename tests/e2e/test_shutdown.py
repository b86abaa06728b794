"""SIGTERM under load: the server stops taking clicks, commits and answers every click it
holds, and exits cleanly; every answered click is stored."""

from __future__ import annotations

import signal

import httpx
import trio

from tests.e2e.server import click_id, create_link, serving
from tests.e2e.test_sigkill import unstored
from tracker.settings import Settings

WORKERS = 16
STOP_AFTER = 300


async def test_sigterm_drains_the_clicks_in_flight_and_exits_cleanly(settings: Settings):
    answered: list[str] = []
    unavailable = 0
    with trio.fail_after(60):
        async with serving(settings, connections=WORKERS) as (process, client):
            link = await create_link(client)
            stopping = trio.Event()

            async def clicker(n: int) -> None:
                nonlocal unavailable
                while True:
                    try:
                        r = await client.get(f"/c/{link['code']}?mt_sub1={n}")
                    except httpx.TransportError:
                        if stopping.is_set():
                            return  # the server no longer takes connections
                        raise
                    if r.status_code == 503:
                        unavailable += 1  # not stored, and not claimed to be
                        continue
                    answered.append(click_id(r))
                    if len(answered) >= STOP_AFTER and not stopping.is_set():
                        process.send_signal(signal.SIGTERM)
                        stopping.set()

            async with trio.open_nursery() as nursery:
                for n in range(WORKERS):
                    nursery.start_soon(clicker, n)
            await process.wait()
    assert process.returncode == 0
    assert len(answered) >= STOP_AFTER
    assert unstored(settings, answered) == []
