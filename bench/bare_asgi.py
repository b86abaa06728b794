"""The baseline for bench/ingest.py: a bare ASGI app answering every request with a 302."""

from __future__ import annotations

from typing import Any

_HEADERS = [
    (b"location", b"https://play.google.com/store/apps/details?id=com.example.game"),
    (b"cache-control", b"no-store"),
    (b"content-length", b"0"),
]


async def app(scope: dict, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 302, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": b""})
