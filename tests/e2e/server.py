"""A real ``tracker serve`` in a subprocess on a free port, for the end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import trio

from tests.conftest import ADMIN_TOKEN, auth
from tracker.settings import Settings

PLAY = "https://play.google.com/store/apps/details?id=com.example.game"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(settings: Settings, port: int) -> dict[str, str]:
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


def tracker_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tracker.cli", *args]


async def wait_ready(client: httpx.AsyncClient, process: trio.Process) -> None:
    for _ in range(300):
        assert process.returncode is None, "the server exited during startup"
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await trio.sleep(0.05)
    raise AssertionError("the server did not become ready")


@asynccontextmanager
async def serving(
    settings: Settings, *, connections: int = 16
) -> AsyncIterator[tuple[trio.Process, httpx.AsyncClient]]:
    """The server started and ready, with a client; killed at the end if still running."""
    port = free_port()
    process = await trio.lowlevel.open_process(
        tracker_command("serve"),
        env=server_env(settings, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=10
        ) as client:
            await wait_ready(client, process)
            yield process, client
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def create_link(client: httpx.AsyncClient) -> dict[str, Any]:
    app = (
        await client.post(
            "/api/v1/apps",
            json={"title": "G", "platform": "android", "store_url": PLAY},
            headers=auth(),
        )
    ).json()
    campaign = (
        await client.post(
            "/api/v1/campaigns", json={"title": "C", "traffic_type": "media"}, headers=auth()
        )
    ).json()
    return (
        await client.post(
            f"/api/v1/campaigns/{campaign['id']}/links",
            json={"title": "L", "app_id": app["id"], "target_url": PLAY},
            headers=auth(),
        )
    ).json()


def click_id(response: httpx.Response) -> str:
    if response.status_code == 302:
        referrer = parse_qs(urlsplit(response.headers["location"]).query)["referrer"][0]
        return parse_qs(referrer)["mt_click_id"][0]
    assert response.status_code == 200, response.text
    return response.json()["click_id"]
