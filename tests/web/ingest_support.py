"""Helpers for the ingest web tests: the served ASGI app (fast path in front of Quart)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.conftest import auth
from tracker.bootstrap import Role, Tracker
from tracker.web.asgi import build_asgi

PLAY = "https://play.google.com/store/apps/details?id=com.example.game"


@asynccontextmanager
async def served(
    tracker: Tracker, role: Role = Role.SERVE
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """An httpx client over the ASGI app hypercorn serves, after the app's startup."""
    asgi = build_asgi(tracker, role)
    async with asgi.app.test_app():
        transport = httpx.ASGITransport(app=asgi, client=("203.0.113.7", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://tracker.test") as c:
            yield c, asgi


async def create(client: httpx.AsyncClient, path: str, body: dict) -> dict:
    r = await client.post(f"/api/v1{path}", json=body, headers=auth())
    assert r.status_code == 201, r.text
    return r.json()


async def setup_links(client: httpx.AsyncClient, *, partner: bool = False) -> dict[str, Any]:
    app = await create(client, "/apps", {"title": "Game", "platform": "android", "store_url": PLAY})
    partner_id = None
    if partner:
        p = await create(client, "/partners", {"title": "Net", "utm_sources": ["net"]})
        partner_id = p["id"]
    campaign = await create(
        client,
        "/campaigns",
        {"title": "Spring", "traffic_type": "media", "partner_id": partner_id},
    )
    regular = await create(
        client,
        f"/campaigns/{campaign['id']}/links",
        {"title": "Play", "app_id": app["id"], "target_url": PLAY},
    )
    smart = await create(
        client,
        f"/campaigns/{campaign['id']}/links",
        {
            "title": "Smart",
            "targets": {
                "ios": "https://apps.apple.com/app/id123",
                "android": PLAY + "&referrer=utm_source%3Dnet",
                "fallback": "https://example.com/landing",
            },
        },
    )
    return {
        "app": app,
        "campaign": campaign,
        "partner_id": partner_id,
        "regular": regular["code"],
        "smart": smart["code"],
    }
