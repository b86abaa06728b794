"""Two repairs to HTTP/1.1 as hypercorn and h11 serve it.

Answers sent before the request body was read close the connection (``CloseUnreadBodies``).

Credentials are checked before the body (a 401 reads nothing), and an oversized body is refused
unread (413). hypercorn then keeps the HTTP/1.1 connection open with the unread body still in
flight, and the client's next request on it is not answered (seen with a keep-alive client:
about one request in ten after an early 401). ``Connection: close`` on such an answer is what
servers do (RFC 9112 section 9.6): the client opens a new connection for its next request.

A click's query may hold raw bytes above 0x7F (``accept_raw_bytes_in_queries``)."""

from __future__ import annotations

import re
from typing import Any

_CLOSE = (b"connection", b"close")


def _announces_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-length":
            return value.strip() not in (b"0", b"")
        if name == b"transfer-encoding":
            return True
    return False


class CloseUnreadBodies:
    """ASGI middleware: an HTTP answer that starts before the request's body was fully read
    carries ``Connection: close``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not _announces_body(scope["headers"]):
            await self.app(scope, receive, send)
            return
        body_read = False

        async def tracked_receive() -> dict:
            nonlocal body_read
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_read = True
            return message

        async def closing_send(message: dict) -> None:
            if message["type"] == "http.response.start" and not body_read:
                headers = [h for h in message.get("headers", ()) if h[0].lower() != b"connection"]
                message = {**message, "headers": [*headers, _CLOSE]}
            await send(message)

        await self.app(scope, tracked_receive, closing_send)


def accept_raw_bytes_in_queries() -> None:
    """Let h11 read a request line whose query holds raw bytes above 0x7F (``?sub1=\\xff``).

    h11 takes only visible ASCII in the request target and answers such a click with an empty
    400 before the tracker sees it; browsers and ad servers do send them, and the click must
    be stored and redirected with the bad parameter named as malformed (docs/ingest.md). The
    path stays ASCII (hypercorn decodes it as such); only the query widens to obs-text."""
    import h11._events as events
    import h11._readers as readers
    from h11._abnf import http_version, method

    target = r"[\x21-\x3e\x40-\x7e]*(?:\?[\x21-\x7e\x80-\xff]*)?"
    line = rf"(?P<method>{method}) (?P<target>{target}) {http_version}"
    readers.request_line_re = re.compile(line.encode("latin-1"))
    events.request_target_re = re.compile(rf"(?:{target})\Z".encode("latin-1"))
