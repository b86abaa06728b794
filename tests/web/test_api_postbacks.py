"""Postback configurations: POST/GET/PATCH/DELETE /api/v1/postbacks."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from tests.web.api_helpers import call, create_app, create_campaign, create_partner, error

pytestmark = pytest.mark.usefixtures("store")

URL = "https://partner.example/pb?gaid={mt_gaid}&click={clickId}&sum={mt_payment_sum_src}"


async def test_postback_crud(client: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        app = await create_app(client)
        campaign = await create_campaign(client, partner_id=partner["id"])
        body = {
            "title": "Purchases",
            "event": "purchase",
            "partner_id": partner["id"],
            "campaign_id": campaign["id"],
            "app_id": app["id"],
            "mode": "all",
            "method": "POST",
            "url": "https://{host}/pb",
            "body": '{"gaid": "{mt_gaid}"}',
        }
        _, postback = await call(client, "POST", "/api/v1/postbacks", json=body, expect=201)
        for key, value in body.items():
            assert postback[key] == value
        _, simple = await call(
            client,
            "POST",
            "/api/v1/postbacks",
            json={"title": "Installs", "event": "install", "url": URL},
            expect=201,
        )
        assert (simple["mode"], simple["method"], simple["body"]) == ("attributed", "GET", None)
        _, custom = await call(
            client,
            "POST",
            "/api/v1/postbacks",
            json={"title": "Level", "event": "custom", "event_name": "level_10", "url": URL},
            expect=201,
        )
        assert custom["event_name"] == "level_10"
        _, listing = await call(client, "GET", "/api/v1/postbacks", expect=200)
        ids = [p["id"] for p in listing["postbacks"]]
        assert ids == [postback["id"], simple["id"], custom["id"]]
        path = f"/api/v1/postbacks/{postback['id']}"
        _, got = await call(client, "GET", path, expect=200)
        assert got == postback
        _, patched = await call(
            client, "PATCH", path, json={"mode": "attributed", "body": "{}", "title": "P2"}
        )
        assert (patched["mode"], patched["body"], patched["title"]) == ("attributed", "{}", "P2")
        _, same = await call(client, "PATCH", path, json={}, expect=200)
        assert same == patched
        status, _ = await call(client, "DELETE", path)
        assert status == 204
        await error(client, "GET", path, 404)
        await error(client, "DELETE", path, 404)
        await error(client, "PATCH", path, 404, json={"title": "x"})
        _, listing = await call(client, "GET", "/api/v1/postbacks", expect=200)
        assert [p["id"] for p in listing["postbacks"]] == [simple["id"], custom["id"]]


async def test_bad_postbacks(client: Any) -> None:
    with trio.fail_after(10):
        base = {"title": "pb", "event": "install", "url": URL}
        cases = [
            ({"event": "click"}, 400, "event"),
            ({"event": "custom"}, 400, "event_name"),
            ({"mode": "off"}, 400, "mode"),
            ({"method": "PUT"}, 400, "method"),
            ({"url": "ftp://x.example/{mt_gaid}"}, 400, "url"),
            ({"url": "{mt_gaid}"}, 400, "url"),
            ({"body": "x={mt_gaid}"}, 400, "body"),
            ({"partner_id": "nope"}, 404, "partner_id"),
            ({"campaign_id": "nope"}, 404, "campaign_id"),
            ({"app_id": "nope"}, 404, "app_id"),
            ({"headers": {}}, 400, "headers"),
        ]
        for change, status, field in cases:
            data = await error(client, "POST", "/api/v1/postbacks", status, json=base | change)
            assert data["detail"].startswith(f"{field}:"), (change, data)
        _, listing = await call(client, "GET", "/api/v1/postbacks", expect=200)
        assert listing["postbacks"] == []
        _, postback = await call(client, "POST", "/api/v1/postbacks", json=base, expect=201)
        path = f"/api/v1/postbacks/{postback['id']}"
        for change, field in [
            ({"body": "x=1"}, "body"),
            ({"url": "mailto:x@example.com"}, "url"),
            ({"mode": "off"}, "mode"),
            ({"method": "POST"}, "method"),
        ]:
            data = await error(client, "PATCH", path, 400, json=change)
            assert data["detail"].startswith(f"{field}:"), (change, data)
        _, again = await call(client, "GET", path, expect=200)
        assert again == postback
        await error(client, "GET", "/api/v1/postbacks/nope", 404)
