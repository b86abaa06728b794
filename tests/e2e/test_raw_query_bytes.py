"""A click whose query holds a raw byte that is not UTF-8 (``?sub1=a\\xffb``) still redirects
and is stored, with the parameter named as malformed (docs/ingest.md)."""

from __future__ import annotations

import json

import trio

from tests.conftest import auth
from tests.e2e.server import create_link, serving
from tracker.settings import Settings


async def _raw_get(port: int, target: bytes) -> bytes:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(
            b"GET " + target + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        answer = b""
        while chunk := await stream.receive_some():
            answer += chunk
    return answer


async def test_a_raw_non_utf8_byte_in_the_query_redirects_and_is_recorded(settings: Settings):
    with trio.fail_after(60):
        async with serving(settings) as (_, client):
            link = await create_link(client)
            code = link["code"].encode()
            answer = await _raw_get(client.base_url.port, b"/c/" + code + b"?sub1=a\xffb")
            assert answer.startswith(b"HTTP/1.1 302")
            assert b"\r\nlocation: https://" in answer.lower()
            exported = await client.get("/api/v1/raw/clicks", headers=auth())
            clicks = [json.loads(line) for line in exported.text.splitlines()]
    assert len(clicks) == 1
    assert "sub1" in clicks[0]["malformed"]
    assert "invalid UTF-8" in clicks[0]["malformed"]["sub1"]
