"""The answers to clicks and impressions (``GET /c/{code}``, ``GET /i/{code}``), shared by the
ASGI fast path and the Quart routes: ``TouchService`` stores the touch, this presents it. A
redirect is only ever sent for a stored click."""

from __future__ import annotations

import base64

import msgspec

from tracker.ingest.targets import location_header
from tracker.services.touch import TouchService

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
    """Answers a click or an impression with what ``TouchService`` stored."""

    def __init__(self, service: TouchService) -> None:
        self._service = service

    async def handle(
        self, *, click: bool, code: str, query: bytes, ua: str | None, ip: str | None
    ) -> Answer:
        outcome = await self._service.record(click=click, code=code, query=query, ua=ua, ip=ip)
        if outcome.status == "no_link":
            return _error(404, "not_found", f"code: no such link: {code[:64]!r}")
        if outcome.status == "not_stored":
            return _error(503, "unavailable", "store: not stored, try again")
        location = outcome.location
        if outcome.no_redirect:
            body = _json(
                {"click_id": outcome.touch_id, "location": location}
                if click
                else {"impression_id": outcome.touch_id}
            )
            return 200, [_JSON, _NO_STORE, (b"content-length", str(len(body)).encode())], body
        if location is not None:
            return 302, [(b"location", location_header(location)), _NO_STORE, _ZERO], b""
        if outcome.pixel:
            return 200, _GIF_HEADERS, PIXEL_GIF
        return 204, [_NO_STORE], b""


_ZERO = (b"content-length", b"0")
_GIF_HEADERS = [
    (b"content-type", b"image/gif"),
    _NO_STORE,
    (b"content-length", str(len(PIXEL_GIF)).encode()),
]
