"""A real local HTTP receiver for postbacks: answers each request as a script says, after an
optional delay, and remembers what it got. Served with trio and h11 on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import h11
import trio


def signed_get(secret: str, url: str) -> str:
    """The ``X-Tracker-Signature`` an own GET postback to ``url`` carries (docs/postbacks.md),
    computed here independently of the tracker."""
    message = f"GET\n{url}\n".encode()
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """``answer(request) -> (status, body)``; by default 200 ``ok``. ``delay``: seconds
    before answering; ``trickle``: seconds between the body's bytes (the status and headers
    go at once, then the body one byte at a time)."""

    answer: Callable[[Received], tuple[int, bytes]] = lambda _: (200, b"ok")
    delay: float = 0.0
    trickle: float = 0.0
    requests: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, nursery: trio.Nursery) -> str:
        listeners = await nursery.start(partial(trio.serve_tcp, self._serve, 0, host="127.0.0.1"))
        self.port = listeners[0].socket.getsockname()[1]
        return self.url

    async def _serve(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request, body = await self._read(stream, conn)
                if request is None:
                    return
                got = Received(
                    method=request.method.decode(),
                    target=request.target.decode(),
                    headers={k.decode().lower(): v.decode() for k, v in request.headers},
                    body=body,
                )
                self.requests.append(got)
                if self.delay:
                    await trio.sleep(self.delay)
                status, content = self.answer(got)
                headers = [("content-length", str(len(content))), ("content-type", "text/plain")]
                await stream.send_all(conn.send(h11.Response(status_code=status, headers=headers)))
                if self.trickle:
                    for i in range(len(content)):
                        await stream.send_all(conn.send(h11.Data(data=content[i : i + 1])))
                        await trio.sleep(self.trickle)
                else:
                    await stream.send_all(conn.send(h11.Data(data=content)))
                await stream.send_all(conn.send(h11.EndOfMessage()))
                if conn.our_state is h11.MUST_CLOSE:
                    return
                conn.start_next_cycle()
        except (trio.BrokenResourceError, trio.ClosedResourceError, h11.RemoteProtocolError):
            return

    async def _read(self, stream: trio.SocketStream, conn: h11.Connection):
        request, body = None, b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await stream.receive_some(65536)
                if not data and request is None:
                    return None, b""
                conn.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return request, body
            elif isinstance(event, h11.ConnectionClosed):
                return None, b""
