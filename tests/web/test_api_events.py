"""GET /api/v1/events: the history in order, with positions, paged."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import trio

from tests.web.api_helpers import (
    call,
    create_app,
    create_campaign,
    create_partner,
    create_smart_link,
    create_token,
    error,
)

pytestmark = pytest.mark.usefixtures("store")


async def test_the_history_in_order_with_positions(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client)
        await call(client, "PATCH", f"/api/v1/apps/{app['id']}", json={"title": "Game 2"})
        campaign = await create_campaign(client)
        _, page = await call(client, "GET", "/api/v1/events", expect=200)
        events = page["events"]
        assert page["next"] is None
        positions = [e["position"] for e in events]
        assert positions == sorted(positions) and len(set(positions)) == len(positions)
        assert [e["type"] for e in events] == [
            "ApiToken.Issued",
            "App.Registered",
            "App.Updated",
            "Campaign.Created",
        ]
        registered, updated, created = events[1], events[2], events[3]
        assert registered["aggregate_id"] == app["id"] == updated["aggregate_id"]
        assert (registered["version"], updated["version"]) == (1, 2)
        assert registered["data"]["title"] == "Game"
        assert registered["data"]["attribution"]["click_window_hours"] == 168
        assert updated["data"]["changes"] == {"title": "Game 2"}
        assert created["aggregate_id"] == campaign["id"]
        assert all(e["ts"].endswith("Z") for e in events)


async def test_paging_with_after_limit_and_next(client: Any) -> None:
    with trio.fail_after(20):
        for i in range(6):
            await create_app(client, title=f"App {i}")
        _, everything = await call(client, "GET", "/api/v1/events?limit=10000", expect=200)
        all_positions = [e["position"] for e in everything["events"]]
        assert len(all_positions) == 7
        seen: list[int] = []
        after = 0
        pages = 0
        while True:
            _, page = await call(client, "GET", f"/api/v1/events?after={after}&limit=3")
            seen += [e["position"] for e in page["events"]]
            pages += 1
            if page["next"] is None:
                break
            assert page["next"] == page["events"][-1]["position"]
            after = page["next"]
        assert seen == all_positions
        assert pages == 3
        _, tail = await call(client, "GET", f"/api/v1/events?after={all_positions[-1]}")
        assert tail["events"] == [] and tail["next"] is None
        _, middle = await call(client, "GET", f"/api/v1/events?after={all_positions[2]}&limit=2")
        assert [e["position"] for e in middle["events"]] == all_positions[3:5]


async def test_other_streams_can_be_read(client: Any) -> None:
    with trio.fail_after(10):
        for stream in ("ingest", "attribution"):
            _, page = await call(client, "GET", f"/api/v1/events?stream={stream}", expect=200)
            assert isinstance(page["events"], list)


async def test_bad_paging_is_400_naming_the_parameter(client: Any) -> None:
    with trio.fail_after(10):
        for query, field in [
            ("limit=10001", "limit"),
            ("limit=0", "limit"),
            ("limit=ten", "limit"),
            ("after=-1", "after"),
            ("after=x", "after"),
            ("stream=secrets", "stream"),
        ]:
            data = await error(client, "GET", f"/api/v1/events?{query}", 400)
            assert data["detail"].startswith(f"{field}:"), (query, data)


async def test_viewers_read_the_history_partners_do_not(client: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        viewer = await create_token(client, "viewer")
        scoped = await create_token(client, "partner", partner["id"])
        _, page = await call(client, "GET", "/api/v1/events", token=viewer, expect=200)
        assert page["events"]
        await error(client, "GET", "/api/v1/events", 403, token=scoped)


async def test_the_history_hides_token_hashes(client: Any) -> None:
    with trio.fail_after(10):
        viewer = await create_token(client, "viewer")
        _, page = await call(client, "GET", "/api/v1/events", token=viewer, expect=200)
        issued = [e for e in page["events"] if e["type"] == "ApiToken.Issued"][-1]
        assert issued["data"]["token_hash"] == "<hidden>"
        assert issued["data"]["role"] == "viewer"
        assert hashlib.sha256(viewer.encode()).hexdigest() not in str(page)


async def test_ingest_events_read_back_through_the_history(client: Any) -> None:
    with trio.fail_after(10):
        campaign = await create_campaign(client)
        link = await create_smart_link(client, campaign["id"])
        response = await client.get(f"/c/{link['code']}?mt_sub1=abc&clickId=42")
        assert response.status_code == 302
        _, page = await call(client, "GET", "/api/v1/events?stream=ingest", expect=200)
        assert page["stream"] == "ingest"
        assert len(page["events"]) == 1
        click = page["events"][0]
        assert click["type"].endswith("ClickRecorded")
        assert click["position"] >= 1
        assert link["code"] in str(click["data"])
