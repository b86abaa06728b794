"""The ASGI entry point served by hypercorn.

``GET /c/...`` and ``GET /i/...`` are answered by a fast path in front of the Quart app: a
Quart request costs about 40% of a bare ASGI answer's throughput, which the tracking links
cannot spare. Everything else, lifespan included, goes to Quart, which serves the same
routes (and documents them) through the same ``TouchHandler``.
"""

from __future__ import annotations

from typing import Any

from hypercorn.middleware import ProxyFixMiddleware

from tracker.bootstrap import Process, Role, Tracker, WebServices, build_process
from tracker.web.app import create_app
from tracker.web.http11 import CloseUnreadBodies, accept_raw_bytes_in_queries


class TrackerASGI:
    def __init__(self, process: Process) -> None:
        self.process = process
        self.app = create_app(process)
        self.services: WebServices = self.app.config["SERVICES"]
        self.touch = self.services.touch
        self._http = CloseUnreadBodies(self.app)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith(("/c/", "/i/")) and path.find("/", 3) < 0 and len(path) > 3:
                await self._touch(scope, send, path)
                return
        await self._http(scope, receive, send)

    async def _touch(self, scope: dict, send: Any, path: str) -> None:
        ua = None
        for name, value in scope["headers"]:
            if name == b"user-agent":
                ua = value.decode("latin-1")
                break
        client = scope.get("client")
        status, headers, body = await self.touch.handle(
            click=path[1] == "c",
            code=path[3:],
            query=scope["query_string"],
            ua=ua,
            ip=client[0] if client else None,
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def build_asgi(tracker: Tracker, role: Role = Role.SERVE) -> Any:
    accept_raw_bytes_in_queries()
    asgi = TrackerASGI(build_process(tracker, role))
    hops = tracker.settings.proxy_trusted_hops
    if hops > 0:
        return ProxyFixMiddleware(asgi, mode="legacy", trusted_hops=hops)
    return asgi


def app_from_env() -> Any:
    """For ``hypercorn tracker.web.asgi:app_from_env()``: a web-only process per worker; the
    projections and other once-only work run in ``tracker worker``."""
    from tracker.bootstrap import bootstrap, settle_heap_for_serving
    from tracker.settings import load_settings

    asgi = build_asgi(bootstrap(load_settings()), Role.WEB)
    settle_heap_for_serving()
    return asgi
