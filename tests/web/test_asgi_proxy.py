"""Behind a reverse proxy the client IP comes from X-Forwarded-For, and only then."""

from __future__ import annotations

import httpx
import msgspec
import trio

from tests.conftest import auth
from tests.web.test_ingest_links import stored
from tracker.bootstrap import bootstrap
from tracker.web.asgi import TrackerASGI, build_asgi

PLAY = "https://play.google.com/store/apps/details?id=com.example.game"


async def _click_ip(settings, *, hops: int, forwarded: str) -> str:
    tracker = bootstrap(msgspec.structs.replace(settings, proxy_trusted_hops=hops))
    try:
        asgi = build_asgi(tracker)
        inner = asgi if isinstance(asgi, TrackerASGI) else asgi.app
        async with inner.app.test_app():
            transport = httpx.ASGITransport(app=asgi, client=("10.0.0.2", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                app = (
                    await c.post(
                        "/api/v1/apps",
                        json={"title": "G", "platform": "android", "store_url": PLAY},
                        headers=auth(),
                    )
                ).json()
                campaign = (
                    await c.post(
                        "/api/v1/campaigns",
                        json={"title": "C", "traffic_type": "media"},
                        headers=auth(),
                    )
                ).json()
                link = (
                    await c.post(
                        f"/api/v1/campaigns/{campaign['id']}/links",
                        json={"title": "L", "app_id": app["id"], "target_url": PLAY},
                        headers=auth(),
                    )
                ).json()
                r = await c.get(f"/c/{link['code']}", headers={"X-Forwarded-For": forwarded})
                assert r.status_code == 302
        (click,) = stored(tracker)
        return click.ip
    finally:
        tracker.close()


async def test_a_trusted_proxy_hop_gives_the_client_ip(settings) -> None:
    with trio.fail_after(20):
        # The client claims 192.0.2.66; the one trusted proxy saw 198.51.100.9.
        ip = await _click_ip(settings, hops=1, forwarded="192.0.2.66, 198.51.100.9")
        assert ip == "198.51.100.9"


async def test_without_trusted_hops_the_header_is_ignored(settings) -> None:
    with trio.fail_after(20):
        assert await _click_ip(settings, hops=0, forwarded="198.51.100.9") == "10.0.0.2"
