"""TouchService: a touch is answered as stored only once the writer committed it."""

from __future__ import annotations

import pytest

from tests.attribution_world import World
from tracker.ingest.store import WriteFailed
from tracker.services.touch import TouchService

pytestmark = pytest.mark.usefixtures("store")

ANDROID_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8)"


class Writer:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.written: list = []

    async def write(self, event) -> None:
        if self.fail:
            raise WriteFailed("disk full")
        self.written.append(event)


async def test_a_click_is_stored_then_redirected(tracker):
    world = World(tracker)
    code = world.link(world.app())
    writer = Writer()
    outcome = await TouchService(tracker, writer).record(
        click=True, code=code, query=b"mt_sub1=a", ua=ANDROID_UA, ip="198.51.100.1"
    )
    assert outcome.status == "stored" and outcome.location
    assert len(writer.written) == 1
    assert str(writer.written[0].originator_id) == outcome.touch_id


async def test_no_link_and_a_failed_write_store_nothing(tracker):
    world = World(tracker)
    code = world.link(world.app())
    service = TouchService(tracker, Writer(fail=True))
    refused = await service.record(click=True, code=code, query=b"", ua=ANDROID_UA, ip=None)
    assert (refused.status, refused.location) == ("not_stored", None)
    writer = Writer()
    missing = await TouchService(tracker, writer).record(
        click=False, code="nope", query=b"", ua=None, ip=None
    )
    assert missing.status == "no_link" and writer.written == []
