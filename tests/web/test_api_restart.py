"""Everything created through the API is still there after a restart on the same store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
)
from tracker.bootstrap import Role, bootstrap, build_process
from tracker.settings import Settings
from tracker.web.app import create_app as create_web_app

pytestmark = pytest.mark.usefixtures("store")


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Any]:
    tracker = bootstrap(settings)
    try:
        web = create_web_app(build_process(tracker, Role.SERVE))
        async with web.test_app() as test_app:
            yield test_app.test_client()
    finally:
        tracker.close()


async def test_the_catalog_survives_a_restart(settings: Settings) -> None:
    with trio.fail_after(30):
        async with running(settings) as client:
            app = await create_app(client, attribution={"click_window_hours": 48})
            partner = await create_partner(client, macros={"mt_gaid": "{gaid}"})
            campaign = await create_campaign(client, partner_id=partner["id"])
            link = await create_smart_link(client, campaign["id"], app_id=app["id"])
            await call(
                client,
                "PATCH",
                f"/api/v1/apps/{app['id']}",
                json={"attribution": {"click_window_hours": 2}},
                expect=200,
            )
            _, tariff = await call(
                client,
                "POST",
                f"/api/v1/campaigns/{campaign['id']}/tariffs",
                json={"model": "cpm", "rate": "1.25", "currency": "EUR", "starts_on": "2026-01-01"},
                expect=201,
            )
            _, correction = await call(
                client,
                "POST",
                f"/api/v1/campaigns/{campaign['id']}/corrections",
                json={
                    "app_id": app["id"],
                    "amount": "-7.10",
                    "currency": "USD",
                    "starts_on": "2026-02-01",
                    "ends_on": "2026-02-02",
                    "timezone": "Asia/Tokyo",
                },
                expect=201,
            )
            await call(
                client,
                "PUT",
                f"/api/v1/partners/{partner['id']}/sending/{app['id']}",
                json={"install": "all"},
                expect=200,
            )
            viewer = await create_token(client, "viewer")
            before = {
                path: (await call(client, "GET", path, expect=200))[1]
                for path in (
                    f"/api/v1/apps/{app['id']}",
                    f"/api/v1/partners/{partner['id']}",
                    f"/api/v1/campaigns/{campaign['id']}",
                    f"/api/v1/campaigns/{campaign['id']}/tariffs",
                    f"/api/v1/campaigns/{campaign['id']}/corrections",
                    f"/api/v1/links/{link['code']}",
                    "/api/v1/events?limit=10000",
                )
            }

        async with running(settings) as client:
            for path, data in before.items():
                _, after = await call(client, "GET", path, expect=200)
                assert after == data, path
            _, got_link = await call(client, "GET", f"/api/v1/links/{link['code']}", token=viewer)
            assert got_link["attribution"]["click_window_hours"] == 48
            assert got_link["targets"] == link["targets"]
            assert got_link["click_url_template"].endswith("?mt_gaid={gaid}")
            _, tariffs = await call(client, "GET", f"/api/v1/campaigns/{campaign['id']}/tariffs")
            assert tariffs["tariffs"] == [tariff]
            _, corrections = await call(
                client, "GET", f"/api/v1/campaigns/{campaign['id']}/corrections"
            )
            assert corrections["corrections"] == [correction]
            assert corrections["corrections"][0]["amount"] == "-7.10"
            # and it keeps working: new writes land after the old history
            await create_app(client, title="After restart")
            _, apps = await call(client, "GET", "/api/v1/apps", expect=200)
            assert [a["title"] for a in apps["apps"]] == ["Game", "After restart"]
