"""Postback configurations: POST/GET/PATCH/DELETE /api/v1/postbacks, with signing secrets."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
import trio
from eventsourcing.cryptography import AESCipher

from tests.web.api_helpers import (
    call,
    create_app,
    create_campaign,
    create_partner,
    create_token,
    error,
)
from tracker.bootstrap import Role, bootstrap, build_process
from tracker.replay import replay
from tracker.settings import Settings
from tracker.web.app import create_app as create_web_app

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
            ({"url": "http://example.com:99999/x"}, 400, "url"),
            ({"url": "http://example.com:0/x"}, 400, "url"),
            ({"url": "http://example.com:{port}/x"}, 400, "url"),
            ({"url": "http://a..b/x"}, 400, "url"),
            ({"url": "http://{sub}..example.com/x"}, 400, "url"),
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
            ({"url": "http://example.com:99999/x"}, "url"),
            ({"url": "http://a..b/x"}, "url"),
            ({"mode": "off"}, "mode"),
            ({"method": "POST"}, "method"),
        ]:
            data = await error(client, "PATCH", path, 400, json=change)
            assert data["detail"].startswith(f"{field}:"), (change, data)
        _, again = await call(client, "GET", path, expect=200)
        assert again == postback
        await error(client, "GET", "/api/v1/postbacks/nope", 404)


# signing secrets

SECRET = "whsec-0123456789abcdef"


async def _shown_everywhere(client: Any) -> str:
    """Every GET answer about postbacks and the catalog's history, as one text."""
    texts = []
    _, listing = await call(client, "GET", "/api/v1/postbacks", expect=200)
    texts.append(str(listing))
    for postback in listing["postbacks"]:
        _, got = await call(client, "GET", f"/api/v1/postbacks/{postback['id']}", expect=200)
        texts.append(str(got))
    _, history = await call(client, "GET", "/api/v1/events?limit=10000", expect=200)
    texts.append(str(history))
    return "\n".join(texts)


async def test_a_secret_is_kept_hidden_and_removed(client: Any, tracker: Any) -> None:
    with trio.fail_after(10):
        body = {"title": "Hook", "event": "install", "url": URL, "secret": SECRET}
        _, postback = await call(client, "POST", "/api/v1/postbacks", json=body, expect=201)
        assert postback["signed"] is True
        assert "secret" not in postback
        path = f"/api/v1/postbacks/{postback['id']}"
        _, got = await call(client, "GET", path, expect=200)
        assert got == postback
        assert tracker.catalog.postback_secret(postback["id"]) == SECRET
        assert SECRET not in await _shown_everywhere(client)

        _, patched = await call(client, "PATCH", path, json={"title": "Hook 2"}, expect=200)
        assert (patched["signed"], patched["title"]) == (True, "Hook 2")
        assert tracker.catalog.postback_secret(postback["id"]) == SECRET
        _, patched = await call(client, "PATCH", path, json={"secret": None}, expect=200)
        assert patched["signed"] is False and "secret" not in patched
        assert tracker.catalog.postback_secret(postback["id"]) is None
        _, same = await call(client, "PATCH", path, json={"secret": None}, expect=200)
        assert same == patched
        _, again = await call(client, "PATCH", path, json={"secret": "x" * 256}, expect=200)
        assert again["signed"] is True and "secret" not in again
        assert tracker.catalog.postback_secret(postback["id"]) == "x" * 256

        _, history = await call(client, "GET", "/api/v1/events", expect=200)
        shown = [e for e in history["events"] if e["aggregate_id"] == postback["id"]]
        assert [e["type"] for e in shown] == [
            "Postback.Configured",
            "Postback.SecretSet",
            "Postback.Updated",
            "Postback.SecretRemoved",
            "Postback.SecretSet",
        ]
        assert shown[1]["data"] == {"secret": "<hidden>"}
        assert shown[4]["data"] == {"secret": "<hidden>"}


async def test_a_generated_secret_is_shown_once(client: Any, tracker: Any) -> None:
    with trio.fail_after(10):
        body = {"title": "Hook", "event": "install", "url": URL, "generate_secret": True}
        _, created = await call(client, "POST", "/api/v1/postbacks", json=body, expect=201)
        secret = created.pop("secret")
        assert len(secret) >= 43 and created["signed"] is True
        path = f"/api/v1/postbacks/{created['id']}"
        _, got = await call(client, "GET", path, expect=200)
        assert got == created
        assert tracker.catalog.postback_secret(created["id"]) == secret
        assert secret not in await _shown_everywhere(client)

        _, rotated = await call(client, "PATCH", path, json={"generate_secret": True}, expect=200)
        new_secret = rotated.pop("secret")
        assert new_secret != secret and rotated == got
        assert tracker.catalog.postback_secret(created["id"]) == new_secret
        _, got = await call(client, "GET", path, expect=200)
        assert "secret" not in got
        _, unchanged = await call(client, "PATCH", path, json={"generate_secret": False})
        assert "secret" not in unchanged
        assert tracker.catalog.postback_secret(created["id"]) == new_secret
        assert new_secret not in await _shown_everywhere(client)

        _, plain = await call(
            client, "POST", "/api/v1/postbacks", json=body | {"generate_secret": False}
        )
        assert plain["signed"] is False and "secret" not in plain


async def test_bad_secrets_are_400_naming_the_field(client: Any, tracker: Any) -> None:
    with trio.fail_after(10):
        base = {"title": "pb", "event": "install", "url": URL}
        cases = [
            ({"secret": "x" * 15}, "secret"),
            ({"secret": "x" * 257}, "secret"),
            ({"secret": 1234567890123456789}, "secret"),
            ({"secret": SECRET, "generate_secret": True}, "generate_secret"),
            ({"generate_secret": "yes"}, "generate_secret"),
        ]
        for change, field in cases:
            data = await error(client, "POST", "/api/v1/postbacks", 400, json=base | change)
            assert data["detail"].startswith(f"{field}:"), (change, data)
        _, listing = await call(client, "GET", "/api/v1/postbacks", expect=200)
        assert listing["postbacks"] == []
        _, postback = await call(client, "POST", "/api/v1/postbacks", json=base, expect=201)
        path = f"/api/v1/postbacks/{postback['id']}"
        for change, field in [
            *cases,
            ({"secret": None, "generate_secret": True}, "generate_secret"),
            ({"title": "T2", "secret": "short"}, "secret"),
        ]:
            data = await error(client, "PATCH", path, 400, json=change)
            assert data["detail"].startswith(f"{field}:"), (change, data)
        _, again = await call(client, "GET", path, expect=200)
        assert again == postback
        assert tracker.catalog.postback_secret(postback["id"]) is None
        await error(client, "PATCH", "/api/v1/postbacks/nope", 404, json={"secret": SECRET})


async def test_only_an_admin_token_sets_a_secret(client: Any, tracker: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        viewer = await create_token(client, "viewer")
        scoped = await create_token(client, "partner", partner["id"])
        body = {"title": "Hook", "event": "install", "url": URL, "secret": SECRET}
        _, postback = await call(client, "POST", "/api/v1/postbacks", json=body, expect=201)
        path = f"/api/v1/postbacks/{postback['id']}"
        for token in (viewer, scoped):
            data = await error(client, "POST", "/api/v1/postbacks", 403, token=token, json=body)
            assert data["detail"].startswith("Authorization:")
            for change in ({"secret": None}, {"generate_secret": True}, {"secret": "y" * 16}):
                await error(client, "PATCH", path, 403, token=token, json=change)
        _, got = await call(client, "GET", path, token=viewer, expect=200)
        assert got == postback
        assert tracker.catalog.postback_secret(postback["id"]) == SECRET


async def test_secrets_survive_a_restart_and_replay(settings: Settings) -> None:
    tracker = bootstrap(settings)
    try:
        async with create_web_app(build_process(tracker, Role.SERVE)).test_app() as test_app:
            client = test_app.test_client()
            with trio.fail_after(10):
                base = {"title": "Hook", "event": "install", "url": URL}
                _, given = await call(
                    client, "POST", "/api/v1/postbacks", json=base | {"secret": SECRET}
                )
                _, made = await call(
                    client, "POST", "/api/v1/postbacks", json=base | {"generate_secret": True}
                )
                _, removed = await call(
                    client, "POST", "/api/v1/postbacks", json=base | {"secret": SECRET}
                )
                await call(
                    client, "PATCH", f"/api/v1/postbacks/{removed['id']}", json={"secret": None}
                )
        tracker.close()
        tracker = bootstrap(settings)
        assert tracker.catalog.postback_secret(given["id"]) == SECRET
        assert tracker.catalog.postback_secret(made["id"]) == made["secret"]
        assert tracker.catalog.postback_secret(removed["id"]) is None
        tracker.update_views()
        report = replay(tracker)
        assert report.equal, report.summary()
    finally:
        tracker.close()


async def test_secrets_are_encrypted_at_rest_with_a_cipher(settings: Settings) -> None:
    ciphered = msgspec.structs.replace(settings, cipher_key=AESCipher.create_key(16))
    tracker = bootstrap(ciphered)
    try:
        async with create_web_app(build_process(tracker, Role.SERVE)).test_app() as test_app:
            client = test_app.test_client()
            with trio.fail_after(10):
                body = {"title": "Hook", "event": "install", "url": URL, "secret": SECRET}
                _, postback = await call(client, "POST", "/api/v1/postbacks", json=body)
                assert postback["signed"] is True
        recorder = tracker.stores.catalog.recorder
        stored = b"".join(n.state for n in recorder.select_notifications(start=1, limit=1000))
        assert SECRET.encode() not in stored
        assert tracker.catalog.postback_secret(postback["id"]) == SECRET
    finally:
        tracker.close()
