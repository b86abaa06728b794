"""A redirect answered is a click stored: SIGKILL the server under load, then every click id
that was answered (302 or S2S JSON) is in the store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import httpx
import trio

from tests.conftest import ADMIN_TOKEN, auth
from tracker.bootstrap import bootstrap
from tracker.settings import Settings

PLAY = "https://play.google.com/store/apps/details?id=com.example.game"
WORKERS = 16
KILL_AFTER = 400


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(settings: Settings, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        TRACKER_HOST="127.0.0.1",
        TRACKER_PORT=str(port),
        TRACKER_DATA_DIR=settings.data_dir,
        TRACKER_ADMIN_TOKEN=ADMIN_TOKEN,
        TRACKER_DATABASE_URL=settings.database_url,
        TRACKER_DATABASE_SCHEMA=settings.database_schema,
    )
    return env


async def _wait_ready(client: httpx.AsyncClient, process: trio.Process) -> None:
    for _ in range(300):
        assert process.returncode is None, "the server exited during startup"
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await trio.sleep(0.05)
    raise AssertionError("the server did not become ready")


def _click_id(response: httpx.Response) -> str:
    if response.status_code == 302:
        referrer = parse_qs(urlsplit(response.headers["location"]).query)["referrer"][0]
        return parse_qs(referrer)["mt_click_id"][0]
    assert response.status_code == 200, response.text
    return response.json()["click_id"]


async def test_every_answered_click_survives_sigkill(settings: Settings):
    port = _free_port()
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "tracker.cli", "serve"],
        env=_env(settings, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    answered: list[str] = []
    try:
        with trio.fail_after(60):
            limits = httpx.Limits(max_connections=WORKERS)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=10
            ) as client:
                await _wait_ready(client, process)
                app = (
                    await client.post(
                        "/api/v1/apps",
                        json={"title": "G", "platform": "android", "store_url": PLAY},
                        headers=auth(),
                    )
                ).json()
                campaign = (
                    await client.post(
                        "/api/v1/campaigns",
                        json={"title": "C", "traffic_type": "media"},
                        headers=auth(),
                    )
                ).json()
                link = (
                    await client.post(
                        f"/api/v1/campaigns/{campaign['id']}/links",
                        json={"title": "L", "app_id": app["id"], "target_url": PLAY},
                        headers=auth(),
                    )
                ).json()
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
                        answered.append(_click_id(r))
                        if len(answered) >= KILL_AFTER and not killed.is_set():
                            process.send_signal(signal.SIGKILL)
                            killed.set()

                async with trio.open_nursery() as nursery:
                    for n in range(WORKERS):
                        nursery.start_soon(clicker, n)
                await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == -signal.SIGKILL
    assert len(answered) >= KILL_AFTER

    tracker = bootstrap(settings)
    try:
        recorder = tracker.stores.ingest.recorder
        missing = [cid for cid in answered if not recorder.select_events(UUID(cid), limit=1)]
    finally:
        tracker.close()
    assert missing == []
