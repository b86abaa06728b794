"""Postback routes: the test-send shows the rendered request and the receiver's answer; the
delivery attempts are listed, filtered, scoped to a partner and exported raw."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest
import trio

from tests.actors.test_postback_sender import (
    BAD_URLS,
    TokPlugin,
    _install,
    _sender,
    stored_unchecked,
)
from tests.attribution_world import world_with_postback
from tests.receiver import Receiver, signed_get
from tests.web.api_helpers import call
from tracker import hookimpl
from tracker.bootstrap import Role, bootstrap, build_process
from tracker.web.app import create_app

pytestmark = pytest.mark.usefixtures("store")


def _client(tracker):
    """The API without its actors (no background sender racing the test's own)."""
    return create_app(build_process(tracker, Role.SERVE)).test_client()


async def test_test_send_renders_sends_and_shows_the_answer(settings, clock):
    receiver = Receiver(answer=lambda _: (202, b"queued"))
    allowed = msgspec.structs.replace(settings, postback_allow_private=True)
    tracker = bootstrap(allowed, clock=clock)
    try:
        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                url = await receiver.start(nursery)
                client = _client(tracker)
                _, postback = await call(
                    client,
                    "POST",
                    "/api/v1/postbacks",
                    json={
                        "title": "T",
                        "event": "purchase",
                        "url": url + "/t?c={clickId}&sum={mt_payment_sum_src}&id={mt_postback_id}",
                    },
                    expect=201,
                )
                _, shown = await call(
                    client,
                    "POST",
                    f"/api/v1/postbacks/{postback['id']}/test",
                    json={"click_params": {"clickId": "x 1"}, "revenue": "9.90", "currency": "EUR"},
                    expect=200,
                )
                nursery.cancel_scope.cancel()
    finally:
        tracker.close()
    assert shown["response"] == {"status": 202, "body": "queued"}
    assert shown["outcome"]["verdict"] == "delivered"
    query = parse_qs(urlsplit(shown["request"]["url"]).query)
    assert query == {"c": ["x 1"], "sum": ["9.90"], "id": [f"test-{postback['id']}"]}
    [got] = receiver.requests
    assert (
        got.target
        == urlsplit(shown["request"]["url"]).path + "?" + urlsplit(shown["request"]["url"]).query
    )


async def test_test_send_is_built_as_a_delivery_is_at_the_trackers_time(settings, clock):
    receiver = Receiver()
    allowed = msgspec.structs.replace(settings, postback_allow_private=True)
    tracker = bootstrap(allowed, clock=clock, extra_plugins=[TokPlugin()])
    try:
        with trio.fail_after(20):
            async with trio.open_nursery() as nursery:
                url = await receiver.start(nursery)
                client = _client(tracker)
                _, app = await call(
                    client, "POST", "/api/v1/apps", json={"title": "A", "platform": "ios"}
                )
                _, net = await call(
                    client,
                    "POST",
                    "/api/v1/partners",
                    json={"title": "Net", "utm_sources": ["net"], "params": {"account": "a 1"}},
                    expect=201,
                )
                await call(
                    client,
                    "PUT",
                    f"/api/v1/partners/{net['id']}/settings/{app['id']}",
                    json={"key": "k1"},
                    expect=200,
                )
                _, custom = await call(
                    client,
                    "POST",
                    "/api/v1/postbacks",
                    json={
                        "title": "Net's",
                        "event": "install",
                        "partner_id": net["id"],
                        "app_id": app["id"],
                        "url": url + "/n?pp={mtpp_account}&k={setting_key}&ts={mt_event_ts}"
                        "&ifa={mt_idfa_upper_or_gaid_lower}",
                    },
                    expect=201,
                )
                _, tok = await call(
                    client,
                    "POST",
                    "/api/v1/postbacks",
                    json={
                        "title": "Tok's",
                        "event": "install",
                        "partner_id": "tok",
                        "url": url + "/t?id={mt_postback_id}",
                        "secret": "s" * 32,
                    },
                    expect=201,
                )
                sample = {"device": {"idfa": "6d92078a-8246-4ba4-ae5b-76104861e7dc"}}
                _, shown_net = await call(
                    client, "POST", f"/api/v1/postbacks/{custom['id']}/test", json=sample
                )
                _, shown_tok = await call(
                    client, "POST", f"/api/v1/postbacks/{tok['id']}/test", json={}, expect=200
                )
                nursery.cancel_scope.cancel()
    finally:
        tracker.close()
    query = parse_qs(urlsplit(shown_net["request"]["url"]).query)
    # The partner's params and settings, the iOS app's IDFA, the event at the tracker's time.
    assert query == {
        "pp": ["a 1"],
        "k": ["k1"],
        "ts": [str(int(clock().timestamp()))],
        "ifa": ["6D92078A-8246-4BA4-AE5B-76104861E7DC"],
    }
    # Filtered to an integrated partner, still sent to its own URL, signed, read by default.
    assert shown_tok["request"]["url"].startswith(url + "/t?")
    assert shown_tok["outcome"] == {"verdict": "delivered", "reason": "HTTP 200"}
    got = receiver.requests[-1]
    assert got.headers["x-tracker-signature"] == signed_get("s" * 32, shown_tok["request"]["url"])


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("allow_private", [False, True])
async def test_test_send_of_a_stored_bad_url_answers_what_is_wrong(settings, url, allow_private):
    tracker = bootstrap(msgspec.structs.replace(settings, postback_allow_private=allow_private))
    try:
        postback_id = stored_unchecked(tracker, url)
        client = _client(tracker)
        _, shown = await call(
            client, "POST", f"/api/v1/postbacks/{postback_id}/test", json={}, expect=200
        )
    finally:
        tracker.close()
    assert shown["request"]["url"] == url
    assert shown["response"] == {"status": None, "body": ""}
    assert shown["outcome"]["verdict"] == "failed"
    assert shown["outcome"]["reason"].startswith("invalid URL: ")


class NoBuildPlugin:
    @hookimpl
    def tracker_build_postback(self, partner, template, values, secret):
        raise RuntimeError("no template engine today")


async def test_test_send_a_plugin_cannot_build_answers_422_saying_why(settings):
    tracker = bootstrap(settings, extra_plugins=[NoBuildPlugin()])
    try:
        client = _client(tracker)
        _, postback = await call(
            client,
            "POST",
            "/api/v1/postbacks",
            json={"title": "T", "event": "install", "url": "https://receiver.example/x"},
            expect=201,
        )
        _, got = await call(
            client, "POST", f"/api/v1/postbacks/{postback['id']}/test", json={}, expect=422
        )
    finally:
        tracker.close()
    assert got["error"] == "unprocessable"
    assert got["detail"].startswith("postback_id: cannot build its request: RuntimeError(")


async def test_test_send_to_a_private_address_is_refused(tracker):
    client = _client(tracker)
    _, postback = await call(
        client,
        "POST",
        "/api/v1/postbacks",
        json={"title": "T", "event": "install", "url": "http://127.0.0.1:9/x"},
        expect=201,
    )
    _, shown = await call(
        client, "POST", f"/api/v1/postbacks/{postback['id']}/test", json={}, expect=200
    )
    assert shown["response"]["status"] is None
    assert shown["outcome"]["verdict"] == "failed"
    assert "private" in shown["outcome"]["reason"]
    await call(client, "POST", "/api/v1/postbacks/nope/test", json={}, expect=404)


async def test_deliveries_are_listed_filtered_scoped_and_exported(tracker, clock):
    answers = iter([(500, b"no"), (200, b"ok")])
    receiver = Receiver(answer=lambda _: next(answers))
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            url = await receiver.start(nursery)
            world, app_id, code = world_with_postback(tracker, url + "/pb?id={mt_postback_id}")
            _install(world, app_id, code, clock)
            sender = _sender(tracker, clock)
            [first] = await sender.tick()
            clock.now = first.next_due_at
            [second] = await sender.tick()
            await sender.aclose()
            nursery.cancel_scope.cancel()
    assert second.verdict == "delivered"
    client = _client(tracker)
    _, listed = await call(client, "GET", "/api/v1/deliveries", expect=200)
    rows = listed["deliveries"]
    assert [(r["attempt"], r["verdict"], r["status"]) for r in rows] == [
        (1, "retry", 500),
        (2, "delivered", 200),
    ]
    assert {r["postback_id"] for r in rows} == {first.delivery_id}
    _, delivered = await call(client, "GET", "/api/v1/deliveries?status=delivered", expect=200)
    assert [r["attempt"] for r in delivered["deliveries"]] == [2]
    _, page = await call(client, "GET", "/api/v1/deliveries?limit=1", expect=200)
    # Paged as every listing is (API.md): the array and `next`, the next page's `after`.
    assert set(page) == {"deliveries", "next"}
    assert page["next"] == page["deliveries"][0]["seq"]
    _, rest = await call(
        client, "GET", f"/api/v1/deliveries?after={page['next']}&limit=1", expect=200
    )
    _, end = await call(client, "GET", f"/api/v1/deliveries?after={rest['next']}", expect=200)
    assert [r["attempt"] for r in page["deliveries"] + rest["deliveries"]] == [1, 2]
    assert (end["deliveries"], end["next"]) == ([], None)
    await call(client, "GET", "/api/v1/deliveries?status=maybe", expect=400)

    partner_id = rows[0]["partner_id"]
    _, mine = await call(
        client,
        "POST",
        "/api/v1/tokens",
        json={"role": "partner", "partner_id": partner_id},
        expect=201,
    )
    _, other = await call(
        client,
        "POST",
        "/api/v1/partners",
        json={"title": "Other", "utm_sources": ["o"]},
        expect=201,
    )
    _, theirs = await call(
        client,
        "POST",
        "/api/v1/tokens",
        json={"role": "partner", "partner_id": other["id"]},
        expect=201,
    )
    _, seen = await call(client, "GET", "/api/v1/deliveries", token=mine["token"], expect=200)
    assert len(seen["deliveries"]) == 2
    _, unseen = await call(client, "GET", "/api/v1/deliveries", token=theirs["token"], expect=200)
    assert unseen["deliveries"] == []

    r = await client.get(
        "/api/v1/raw/deliveries", headers={"Authorization": "Bearer test-admin-token"}
    )
    lines = [json.loads(line) for line in (await r.get_data(as_text=True)).splitlines()]
    assert [(x["attempt"], x["verdict"]) for x in lines] == [(1, "retry"), (2, "delivered")]
    # Times as in every other export and answer: UTC with Z.
    _, listed = await call(client, "GET", "/api/v1/deliveries", expect=200)
    assert sorted(x["at"] for x in lines) == sorted(d["at"] for d in listed["deliveries"])
    assert all(x["at"].endswith("Z") for x in lines)
    r = await client.get(
        "/api/v1/raw/deliveries?format=csv&from=2000-01-01",
        headers={"Authorization": "Bearer test-admin-token"},
    )
    table = list(csv.DictReader(io.StringIO(await r.get_data(as_text=True))))
    assert [row["status"] for row in table] == ["500", "200"]
    assert [row["at"] for row in table] == [x["at"] for x in lines]
    # the filters of the other raw exports that a delivery carries: its app and partner
    for query, count in (
        (f"app_id={lines[0]['app_id']}", 2),
        ("app_id=other", 0),
        (f"partner_id={partner_id}", 2),
        (f"partner_id={other['id']}", 0),
    ):
        r = await client.get(
            f"/api/v1/raw/deliveries?{query}", headers={"Authorization": "Bearer test-admin-token"}
        )
        assert len((await r.get_data(as_text=True)).splitlines()) == count, query
