"""Tokens: admin writes, viewer reads, a partner token sees only its partner's campaigns."""

from __future__ import annotations

import re
from typing import Any

import pytest
import trio

from tests.conftest import ADMIN_TOKEN
from tests.web.api_helpers import (
    call,
    create_app,
    create_campaign,
    create_partner,
    create_smart_link,
    create_token,
    error,
)
from tracker.bootstrap import bootstrap
from tracker.services.catalog import hash_token

pytestmark = pytest.mark.usefixtures("store")

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def api_routes(client: Any) -> list[tuple[str, str]]:
    """(method, path) of every management API route, with placeholder path arguments."""
    routes = []
    for rule in client.app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"x-\1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


async def test_every_api_route_needs_a_valid_bearer_token(client: Any) -> None:
    with trio.fail_after(30):
        routes = api_routes(client)
        assert len(routes) >= 20
        bad_headers = [
            {},
            {"Authorization": "Bearer wrong-token"},
            {"Authorization": "Bearer "},
            {"Authorization": f"Basic {ADMIN_TOKEN}"},
            {"Authorization": ADMIN_TOKEN},
        ]
        for method, path in routes:
            for headers in bad_headers:
                response = await client.open(path, method=method, headers=headers, json={})
                data = await response.get_json()
                assert response.status_code == 401, (method, path, headers, data)
                assert data["error"] == "unauthorized"
                assert data["detail"].startswith("Authorization:")


async def test_a_viewer_reads_but_cannot_write_anywhere(client: Any) -> None:
    with trio.fail_after(30):
        viewer = await create_token(client, "viewer")
        app = await create_app(client)
        for method, path in api_routes(client):
            if method in WRITE_METHODS:
                data = await error(client, method, path, 403, token=viewer, json={})
                assert data["error"] == "forbidden", (method, path)
        _, listing = await call(client, "GET", "/api/v1/apps", token=viewer, expect=200)
        assert [a["id"] for a in listing["apps"]] == [app["id"]]
        await call(client, "GET", "/api/v1/events", token=viewer, expect=200)
        await call(client, "GET", "/api/v1/partners", token=viewer, expect=200)


async def test_a_partner_token_sees_only_its_partner(client: Any) -> None:
    with trio.fail_after(30):
        ours = await create_partner(client, title="Ours")
        theirs = await create_partner(client, title="Theirs")
        app = await create_app(client)
        mine = await create_campaign(client, title="Mine", partner_id=ours["id"])
        other = await create_campaign(client, title="Other", partner_id=theirs["id"])
        unowned = await create_campaign(client, title="Unowned")
        my_link = await create_smart_link(client, mine["id"])
        other_link = await create_smart_link(client, other["id"])
        token = await create_token(client, "partner", ours["id"])

        _, listing = await call(client, "GET", "/api/v1/campaigns", token=token, expect=200)
        assert [c["id"] for c in listing["campaigns"]] == [mine["id"]]
        await call(client, "GET", f"/api/v1/campaigns/{mine['id']}", token=token, expect=200)
        await call(client, "GET", f"/api/v1/links/{my_link['code']}", token=token, expect=200)
        _, links = await call(client, "GET", f"/api/v1/campaigns/{mine['id']}/links", token=token)
        assert [lk["code"] for lk in links["links"]] == [my_link["code"]]
        await call(client, "GET", f"/api/v1/campaigns/{mine['id']}/tariffs", token=token)
        await call(client, "GET", f"/api/v1/campaigns/{mine['id']}/corrections", token=token)
        await call(client, "GET", f"/api/v1/partners/{ours['id']}", token=token, expect=200)
        await call(client, "GET", "/api/v1/traffic-types", token=token, expect=200)

        forbidden = [
            f"/api/v1/campaigns/{other['id']}",
            f"/api/v1/campaigns/{unowned['id']}",
            f"/api/v1/campaigns/{other['id']}/links",
            f"/api/v1/campaigns/{other['id']}/tariffs",
            f"/api/v1/campaigns/{other['id']}/corrections",
            f"/api/v1/links/{other_link['code']}",
            f"/api/v1/partners/{theirs['id']}",
            "/api/v1/partners/organic",
            "/api/v1/partners",
            "/api/v1/apps",
            f"/api/v1/apps/{app['id']}",
            "/api/v1/postbacks",
            "/api/v1/events",
        ]
        for path in forbidden:
            data = await error(client, "GET", path, 403, token=token)
            assert data["error"] == "forbidden", path
        await error(
            client,
            "PATCH",
            f"/api/v1/campaigns/{mine['id']}",
            403,
            token=token,
            json={"title": "mine now"},
        )
        await error(client, "POST", "/api/v1/tokens", 403, token=token, json={"role": "admin"})


async def test_tokens_created_through_the_api(client: Any, tracker: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        _, viewer = await call(
            client, "POST", "/api/v1/tokens", json={"role": "viewer", "label": "bi"}, expect=201
        )
        assert viewer["role"] == "viewer" and viewer["partner_id"] is None
        await call(client, "GET", "/api/v1/apps", token=viewer["token"], expect=200)
        _, admin = await call(
            client,
            "POST",
            "/api/v1/tokens",
            json={"role": "admin", "partner_id": partner["id"]},
            expect=201,
        )
        assert admin["partner_id"] is None
        await create_app(client)  # the admin token given by the fixture still works
        await call(
            client,
            "POST",
            "/api/v1/apps",
            token=admin["token"],
            json={"title": "By new admin", "platform": "web"},
            expect=201,
        )
        _, scoped = await call(
            client,
            "POST",
            "/api/v1/tokens",
            json={"role": "partner", "partner_id": partner["id"]},
            expect=201,
        )
        assert scoped["partner_id"] == partner["id"]
        data = await error(client, "POST", "/api/v1/tokens", 400, json={"role": "partner"})
        assert data["detail"].startswith("partner_id:")
        data = await error(
            client, "POST", "/api/v1/tokens", 404, json={"role": "partner", "partner_id": "x"}
        )
        assert data["detail"].startswith("partner_id:")
        data = await error(client, "POST", "/api/v1/tokens", 400, json={"role": "root"})
        assert data["detail"].startswith("role:")
        # Stored hashed: no token appears anywhere in the event store.
        secrets = [viewer["token"], admin["token"], scoped["token"], ADMIN_TOKEN]
        notifications = tracker.stores.catalog.recorder.select_notifications(start=1, limit=10000)
        for n in notifications:
            for secret in secrets:
                assert secret.encode() not in n.state
        stored = b"".join(n.state for n in notifications)
        assert all(hash_token(secret).encode() in stored for secret in secrets)


async def test_the_admin_token_from_settings_is_registered_once(settings: Any) -> None:
    with trio.fail_after(20):
        for _ in range(2):
            tracker = bootstrap(settings)
            tracker.close()
        tracker = bootstrap(settings)
        try:
            issued = [
                n
                for n in tracker.stores.catalog.recorder.select_notifications(start=1, limit=1000)
                if n.topic.endswith("ApiToken.Issued")
            ]
            assert len(issued) == 1
            assert tracker.catalog.token(hash_token(ADMIN_TOKEN)).role == "admin"
        finally:
            tracker.close()


async def test_tokens_are_listed_without_secrets_and_can_be_revoked(client: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        _, viewer = await call(
            client, "POST", "/api/v1/tokens", json={"role": "viewer", "label": "bi"}, expect=201
        )
        _, scoped = await call(
            client,
            "POST",
            "/api/v1/tokens",
            json={"role": "partner", "partner_id": partner["id"], "label": "net"},
            expect=201,
        )
        _, listing = await call(client, "GET", "/api/v1/tokens", expect=200)
        by_id = {t["id"]: t for t in listing["tokens"]}
        assert by_id[viewer["id"]]["role"] == "viewer"
        assert by_id[viewer["id"]]["label"] == "bi"
        assert by_id[scoped["id"]]["partner_id"] == partner["id"]
        assert not any(t["revoked"] for t in listing["tokens"])
        assert len(listing["tokens"]) == 3  # with the fixture's admin token
        body = str(listing)
        assert viewer["token"] not in body and scoped["token"] not in body
        # Only an admin sees the inventory.
        await error(client, "GET", "/api/v1/tokens", 403, token=viewer["token"])
        await error(client, "GET", "/api/v1/tokens", 403, token=scoped["token"])

        await call(client, "DELETE", f"/api/v1/tokens/{viewer['id']}", expect=204)
        data = await error(client, "GET", "/api/v1/apps", 401, token=viewer["token"])
        assert data["detail"].startswith("Authorization:")
        await call(client, "GET", "/api/v1/campaigns", token=scoped["token"], expect=200)
        await call(client, "DELETE", f"/api/v1/tokens/{viewer['id']}", expect=204)  # again
        _, listing = await call(client, "GET", "/api/v1/tokens", expect=200)
        revoked = [t["id"] for t in listing["tokens"] if t["revoked"]]
        assert revoked == [viewer["id"]]

        data = await error(client, "DELETE", f"/api/v1/tokens/{partner['id']}", 404)
        assert data["detail"].startswith("token_id:")
        data = await error(client, "DELETE", "/api/v1/tokens/not-a-uuid", 404)
        assert data["detail"].startswith("token_id:")


async def test_a_revoked_admin_token_is_not_revived_by_the_environment(
    client: Any, tracker: Any, settings: Any
) -> None:
    with trio.fail_after(10):
        _, listing = await call(client, "GET", "/api/v1/tokens", expect=200)
        (admin,) = listing["tokens"]
        _, other = await call(client, "POST", "/api/v1/tokens", json={"role": "admin"}, expect=201)
        await call(client, "DELETE", f"/api/v1/tokens/{admin['id']}", expect=204)
        await error(client, "GET", "/api/v1/apps", 401)
        # A restart registers TRACKER_ADMIN_TOKEN only if it was never known.
        again = bootstrap(settings)
        try:
            known = again.catalog_service.ensure_token(ADMIN_TOKEN, role="admin", label="env")
            assert known is False
            again.refresh_directory()
            assert again.catalog.token(hash_token(ADMIN_TOKEN)).revoked
        finally:
            again.close()
        await call(client, "GET", "/api/v1/apps", token=other["token"], expect=200)
