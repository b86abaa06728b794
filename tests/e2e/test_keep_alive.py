"""An answer given before the request body is read (a 401 checks credentials first) does not
leave the client's kept-alive connection hanging: the answer says ``Connection: close``."""

from __future__ import annotations

import trio

from tests.e2e.server import serving
from tracker.settings import Settings

BATCH = b'{"events": [{"event_id": "e1", "type": "login"}]}'


async def _read_answer(stream: trio.SocketStream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = await stream.receive_some()
        if not chunk:
            break
        data += chunk
    return data


async def test_an_early_401_closes_the_connection_instead_of_hanging_it(settings: Settings):
    with trio.fail_after(60):
        async with serving(settings) as (_, client):
            port = client.base_url.port
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            head = (
                b"POST /sdk/v1/events HTTP/1.1\r\nHost: t\r\nX-SDK-Key: unknown\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BATCH)
            )
            # The headers alone: the server answers before the body is on the wire.
            await stream.send_all(head)
            with trio.fail_after(5):
                answer = await _read_answer(stream)
            assert answer.startswith(b"HTTP/1.1 401")
            assert b"connection: close" in answer.lower()
            await stream.aclose()
            # A client that honours it opens a new connection and is answered every time.
            for _ in range(50):
                with trio.fail_after(5):
                    r = await client.post(
                        "/sdk/v1/events",
                        content=BATCH,
                        headers={"Content-Type": "application/json", "X-SDK-Key": "unknown"},
                    )
                    assert r.status_code == 401
                    assert r.headers.get("connection") == "close"
                    assert (await client.get("/healthz")).status_code == 200
