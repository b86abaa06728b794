"""Clicks and impressions (``GET /c/{code}``, ``GET /i/{code}``), shared by the ASGI fast path
and the Quart routes: resolve the link in the in-memory catalog, build the event, wait for the
ingest writer's commit, then answer. A redirect is only ever sent for a stored click."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import msgspec

from tracker.actors.ingest_writer import IngestWriterActor, WriteFailed
from tracker.ingest.params import parse_touch
from tracker.ingest.records import IdFactory, TouchEncoder, touch_state
from tracker.ingest.targets import (
    choose_target,
    is_google_play,
    location_header,
    platform_of,
    with_play_referrer,
)

if TYPE_CHECKING:
    from tracker.bootstrap import Tracker

PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

Headers = list[tuple[bytes, bytes]]
Answer = tuple[int, Headers, bytes]

_json = msgspec.json.encode
_JSON = (b"content-type", b"application/json")
_NO_STORE = (b"cache-control", b"no-store")


def _error(status: int, code: str, detail: str) -> Answer:
    body = _json({"error": code, "detail": detail})
    return status, [_JSON, (b"content-length", str(len(body)).encode())], body


class TouchHandler:
    def __init__(self, tracker: Tracker, writer: IngestWriterActor) -> None:
        self._catalog = tracker.catalog
        self._clock = tracker.clock
        self._writer = writer
        self._encoder = TouchEncoder(tracker.stores.ingest.mapper)
        self._new_id = IdFactory()
        # ua-parser compiles its rules on first use (~0.3 s), and the country data loads on
        # first use (~0.2 s): not on a user's click.
        platform_of("Mozilla/5.0 (Linux; Android 14)")
        self._country_of = tracker.country_of

    async def handle(
        self, *, click: bool, code: str, query: bytes, ua: str | None, ip: str | None
    ) -> Answer:
        catalog = self._catalog
        link = catalog.link(code)
        if link is None:
            return _error(404, "not_found", f"code: no such link: {code[:64]!r}")
        campaign = catalog.campaign(link.campaign_id)
        touch = parse_touch(query)
        if touch.no_redirect:
            # A partner's server sends the user's IP and UA along; a browser's own request
            # carries them itself, so there they would only let a click claim another device.
            ua = touch.ua if touch.ua is not None else ua
            ip = touch.ip if touch.ip is not None else ip
        else:
            for name, given in (("mt_ip", touch.ip), ("mt_ua", touch.ua)):
                if given is not None:
                    touch.malformed[name] = "only honoured with mt_no_redirect=1 (server-to-server)"
        platform = platform_of(ua)
        event_id = self._new_id()
        touch_id = str(event_id)
        location = None
        if click:
            app = catalog.app(link.app_id) if link.app_id else None
            location = choose_target(link, app, platform)
            if is_google_play(location):
                location = with_play_referrer(location, touch_id)
        state = touch_state(
            timestamp=self._clock(),
            link=link,
            partner_id=campaign.partner_id if campaign is not None else None,
            platform=platform,
            ip=ip,
            ua=ua,
            touch=touch,
            s2s=touch.no_redirect,
            target_url=location,
            click=click,
            country=self._country_of(ip),
        )
        try:
            await self._writer.write(self._encoder.stored(event_id, state, click=click))
        except WriteFailed:
            return _error(503, "unavailable", "store: not stored, try again")
        if touch.no_redirect:
            body = _json(
                {"click_id": touch_id, "location": location}
                if click
                else {"impression_id": touch_id}
            )
            return 200, [_JSON, _NO_STORE, (b"content-length", str(len(body)).encode())], body
        if location is not None:
            return 302, [(b"location", location_header(location)), _NO_STORE, _ZERO], b""
        if touch.pixel:
            return 200, _GIF_HEADERS, PIXEL_GIF
        return 204, [_NO_STORE], b""


_ZERO = (b"content-length", b"0")
_GIF_HEADERS = [
    (b"content-type", b"image/gif"),
    _NO_STORE,
    (b"content-length", str(len(PIXEL_GIF)).encode()),
]
