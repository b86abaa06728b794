"""A redirect answered is a click stored: SIGKILL the server under load, then every click id
that was answered (302 or S2S JSON) is in the store."""

from __future__ import annotations

import signal
from uuid import UUID

import httpx
import trio

from tests.e2e.server import click_id, create_link, serving
from tracker.bootstrap import bootstrap
from tracker.settings import Settings

WORKERS = 16
KILL_AFTER = 400


def unstored(settings: Settings, click_ids: list[str]) -> list[str]:
    tracker = bootstrap(settings)
    try:
        recorder = tracker.stores.ingest.recorder
        return [cid for cid in click_ids if not recorder.select_events(UUID(cid), limit=1)]
    finally:
        tracker.close()


async def test_every_answered_click_survives_sigkill(settings: Settings):
    answered: list[str] = []
    with trio.fail_after(60):
        async with serving(settings, connections=WORKERS) as (process, client):
            link = await create_link(client)
            killed = trio.Event()

            async def clicker(n: int) -> None:
                i = 0
                while True:
                    s2s = "&mt_no_redirect=1" if (n + i) % 3 == 0 else ""
                    i += 1
                    try:
                        r = await client.get(f"/c/{link['code']}?mt_sub1={n}{s2s}")
                    except httpx.TransportError:
                        if killed.is_set():
                            return
                        raise
                    answered.append(click_id(r))
                    if len(answered) >= KILL_AFTER and not killed.is_set():
                        process.send_signal(signal.SIGKILL)
                        killed.set()

            async with trio.open_nursery() as nursery:
                for n in range(WORKERS):
                    nursery.start_soon(clicker, n)
            await process.wait()
    assert process.returncode == -signal.SIGKILL
    assert len(answered) >= KILL_AFTER
    assert unstored(settings, answered) == []
