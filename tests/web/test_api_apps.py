"""Apps: POST/GET/PATCH /api/v1/apps."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from tests.web.api_helpers import ANDROID_STORE, call, create_app, error

pytestmark = pytest.mark.usefixtures("store")


async def test_create_app_gets_an_sdk_key_and_default_attribution(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client, bundle_id="com.example.game")
        assert app["title"] == "Game"
        assert app["platform"] == "android"
        assert app["store_url"] == ANDROID_STORE
        assert app["bundle_id"] == "com.example.game"
        assert len(app["sdk_key"]) >= 20
        assert app["attribution"] == {
            "click_window_hours": 168,
            "view_window_hours": 24,
            "fingerprint_window_hours": 24,
            "inactivity_window_days": 30,
            "reattribute_to_organic": True,
        }
        assert app["created_at"].endswith("Z")
        other = await create_app(client, title="Site", platform="web", store_url=None)
        assert other["sdk_key"] != app["sdk_key"]
        assert other["id"] != app["id"]


async def test_create_app_with_attribution_settings(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(
            client, attribution={"click_window_hours": 720, "reattribute_to_organic": False}
        )
        assert app["attribution"]["click_window_hours"] == 720
        assert app["attribution"]["reattribute_to_organic"] is False
        assert app["attribution"]["view_window_hours"] == 24


async def test_a_whole_number_written_with_a_point_is_an_integer(client: Any) -> None:
    # As JSON Schema counts it: 720.0 is an integer, 719.5 is not.
    with trio.fail_after(10):
        app = await create_app(client, attribution={"click_window_hours": 720.0})
        assert app["attribution"]["click_window_hours"] == 720
        body = {"title": "G", "platform": "android", "attribution": {"view_window_hours": 23.5}}
        data = await error(client, "POST", "/api/v1/apps", 400, json=body)
        assert data["detail"].startswith("attribution.view_window_hours:"), data
        body = {"title": "", "platform": "android", "attribution": {"view_window_hours": 23.0}}
        data = await error(client, "POST", "/api/v1/apps", 400, json=body)
        assert data["detail"].startswith("title:"), data


async def test_list_and_get_apps(client: Any) -> None:
    with trio.fail_after(10):
        first = await create_app(client, title="First")
        second = await create_app(client, title="Second", platform="ios")
        _, listing = await call(client, "GET", "/api/v1/apps", expect=200)
        assert [a["id"] for a in listing["apps"]] == [first["id"], second["id"]]
        _, got = await call(client, "GET", f"/api/v1/apps/{second['id']}", expect=200)
        assert got == second


async def test_get_unknown_app_is_404_naming_it(client: Any) -> None:
    with trio.fail_after(10):
        for bad in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
            data = await error(client, "GET", f"/api/v1/apps/{bad}", 404)
            assert data["detail"].startswith("app_id:")


async def test_patch_app(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client)
        path = f"/api/v1/apps/{app['id']}"
        _, patched = await call(
            client,
            "PATCH",
            path,
            json={"title": "Renamed", "attribution": {"view_window_hours": 168}},
            expect=200,
        )
        assert patched["title"] == "Renamed"
        assert patched["attribution"]["view_window_hours"] == 168
        assert patched["attribution"]["click_window_hours"] == 168
        assert patched["sdk_key"] == app["sdk_key"]
        _, again = await call(client, "GET", path, expect=200)
        assert again == patched


async def test_patch_app_with_an_empty_object_changes_nothing(client: Any, tracker: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client)
        position = tracker.refresh_directory()
        _, same = await call(client, "PATCH", f"/api/v1/apps/{app['id']}", json={}, expect=200)
        assert same == app
        assert tracker.refresh_directory() == position  # no event recorded


async def test_patch_app_without_a_body_is_400(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client)
        data = await error(client, "PATCH", f"/api/v1/apps/{app['id']}", 400)
        assert data["detail"].startswith("body:")


async def test_traffic_redirection_is_set_and_cleared(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client)
        path = f"/api/v1/apps/{app['id']}"
        target = {"redirect_url": "https://example.com/sale"}
        _, patched = await call(client, "PATCH", path, json=target, expect=200)
        assert patched["redirect_url"] == "https://example.com/sale"
        _, cleared = await call(client, "PATCH", path, json={"redirect_url": ""}, expect=200)
        assert cleared["redirect_url"] is None
        data = await error(client, "PATCH", path, 400, json={"redirect_url": "ftp://x.example"})
        assert data["detail"].startswith("redirect_url:")


async def test_patch_unknown_app_is_404(client: Any) -> None:
    with trio.fail_after(10):
        path = "/api/v1/apps/00000000-0000-0000-0000-000000000000"
        data = await error(client, "PATCH", path, 404, json={"title": "x"})
        assert data["detail"].startswith("app_id:")


IOS = {"title": "A", "platform": "ios"}
WINDOW = "attribution.{}_window_hours"
BAD_APPS = [
    ({"platform": "android"}, "title"),
    ({"title": "A"}, "platform"),
    ({"title": "A", "platform": "windows"}, "platform"),
    ({"title": 5, "platform": "ios"}, "title"),
    ({"title": "", "platform": "ios"}, "title"),
    ({"title": "   ", "platform": "ios"}, "title"),
    (IOS | {"store_url": "itms-apps://x"}, "store_url"),
    (IOS | {"colour": "red"}, "colour"),
    (IOS | {"attribution": {"click_window_hours": 0}}, WINDOW.format("click")),
    (IOS | {"attribution": {"click_window_hours": 721}}, WINDOW.format("click")),
    (IOS | {"attribution": {"view_window_hours": 169}}, WINDOW.format("view")),
    (IOS | {"attribution": {"fingerprint_window_hours": 25}}, WINDOW.format("fingerprint")),
    (IOS | {"attribution": {"click_window_hours": "24"}}, WINDOW.format("click")),
    (IOS | {"attribution": {"click_window_hours": 1.5}}, WINDOW.format("click")),
    (IOS | {"attribution": {"lookback": 1}}, "attribution.lookback"),
    (IOS | {"attribution": []}, "attribution"),
]


async def test_bad_apps_are_400_naming_the_field(client: Any) -> None:
    with trio.fail_after(20):
        for body, field in BAD_APPS:
            data = await error(client, "POST", "/api/v1/apps", 400, json=body)
            assert data["error"] == "invalid"
            assert data["detail"].startswith(f"{field}:"), (body, data)
        _, listing = await call(client, "GET", "/api/v1/apps", expect=200)
        assert listing["apps"] == []


BAD_APP_PATCHES = [
    ({"title": ""}, "title"),
    ({"platform": "ios"}, "platform"),
    ({"store_url": "javascript:alert(1)"}, "store_url"),
    ({"sdk_key": "mine"}, "sdk_key"),
    ({"attribution": {"inactivity_window_days": 0}}, "attribution.inactivity_window_days"),
    (
        {"title": "New", "attribution": {"click_window_hours": 721}},
        "attribution.click_window_hours",
    ),
]


async def test_bad_app_patches_are_400_and_change_nothing(client: Any) -> None:
    with trio.fail_after(20):
        app = await create_app(client)
        path = f"/api/v1/apps/{app['id']}"
        for body, field in BAD_APP_PATCHES:
            data = await error(client, "PATCH", path, 400, json=body)
            assert data["detail"].startswith(f"{field}:"), (body, data)
        _, again = await call(client, "GET", path, expect=200)
        assert again == app
