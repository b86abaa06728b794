"""Attribution over HTTP: the SDK answer, /sdk/v1/attribution, explain and raw export."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, urlsplit

import trio

from tests.conftest import auth
from tests.web.ingest_support import PLAY, create, served

GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
GAID2 = "38400000-8cf0-11bd-b23e-10b96e40000e"


async def _setup(client, *, deep_link: str | None = "game://level/7") -> dict:
    app = await create(client, "/apps", {"title": "Game", "platform": "android", "store_url": PLAY})
    partner = await create(client, "/partners", {"title": "Net", "utm_sources": ["net"]})
    campaign = await create(
        client,
        "/campaigns",
        {"title": "Spring", "traffic_type": "media", "partner_id": partner["id"]},
    )
    link = await create(
        client,
        f"/campaigns/{campaign['id']}/links",
        {"title": "Play", "app_id": app["id"], "target_url": PLAY, "deep_link": deep_link},
    )
    return {"app": app, "campaign": campaign, "link": link, "partner": partner}


async def _sdk(client, key: str, *events: dict):
    r = await client.post(
        "/sdk/v1/events", json={"events": list(events)}, headers={"X-SDK-Key": key}
    )
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _install(event_id: str, instance_id: str, **fields) -> dict:
    device = {"instance_id": instance_id, **fields.pop("device", {})}
    return {"event_id": event_id, "type": "install", "device": device, **fields}


async def test_click_then_install_answers_attribution_and_deep_link(tracker, clock):
    with trio.fail_after(20):
        async with served(tracker) as (client, _):
            s = await _setup(client)
            code, key = s["link"]["code"], s["app"]["sdk_key"]
            r = await client.get(f"/c/{code}?mt_gaid={GAID}")
            assert r.status_code == 302
            clock.advance(minutes=3)
            [result] = await _sdk(client, key, _install("e1", "inst-1", device={"gaid": GAID}))
            assert result["status"] == "accepted"
            assert result["attribution"] == {
                "type": "click",
                "method": "device_id",
                "campaign_id": s["campaign"]["id"],
                "link_code": code,
                "partner_id": s["partner"]["id"],
                "click_id": result["attribution"]["click_id"],
            }
            assert result["deep_link"] == "game://level/7"
            # the same installation again: its attribution, but no second deep link
            [again] = await _sdk(client, key, _install("e2", "inst-1"))
            assert again["install_id"] == result["install_id"]
            assert "deep_link" not in again

            # the Google Play referrer's click id wins over a later device-id click
            r = await client.get(f"/c/{code}?mt_no_redirect=1")
            referred = r.json()["click_id"]
            clock.advance(minutes=1)
            await client.get(f"/c/{code}?mt_gaid={GAID2}")
            clock.advance(minutes=1)
            [via_referrer] = await _sdk(
                client,
                key,
                _install(
                    "e3",
                    "inst-2",
                    device={"gaid": GAID2},
                    referrer=f"mt_click_id%253D{referred}",  # encoded twice on the way
                ),
            )
            assert via_referrer["attribution"]["method"] == "referrer"
            assert via_referrer["attribution"]["click_id"] == referred


async def test_referrer_in_the_play_redirect_round_trips(tracker, clock):
    with trio.fail_after(20):
        async with served(tracker) as (client, _):
            s = await _setup(client)
            r = await client.get(f"/c/{s['link']['code']}")
            referrer = parse_qs(urlsplit(r.headers["Location"]).query)["referrer"][0]
            clock.advance(seconds=5)
            [result] = await _sdk(
                client, s["app"]["sdk_key"], _install("e1", "inst-1", referrer=referrer)
            )
            assert result["attribution"]["method"] == "referrer"
            r = await client.get(f"/api/v1/installs/{result['install_id']}/explain", headers=auth())
            assert "ctit_under_10s" in r.json()["flags"]


async def test_sdk_attribution_lookup(tracker, clock):
    with trio.fail_after(20):
        async with served(tracker) as (client, _):
            s = await _setup(client)
            key = s["app"]["sdk_key"]
            r = await client.get("/sdk/v1/attribution?instance_id=x")
            assert r.status_code == 401
            r = await client.get("/sdk/v1/attribution", headers={"X-SDK-Key": key})
            assert r.status_code == 400 and "instance_id" in r.json()["detail"]
            r = await client.get(
                "/sdk/v1/attribution?instance_id=nobody", headers={"X-SDK-Key": key}
            )
            assert r.status_code == 404
            await client.get(f"/c/{s['link']['code']}?mt_gaid={GAID}")
            clock.advance(hours=1)
            [result] = await _sdk(client, key, _install("e1", "inst-1", device={"gaid": GAID}))
            for query in ("instance_id=inst-1", f"gaid={GAID.upper()}"):
                r = await client.get(f"/sdk/v1/attribution?{query}", headers={"X-SDK-Key": key})
                assert r.status_code == 200
                body = r.json()
                assert body["install_id"] == result["install_id"]
                assert body["attribution"]["type"] == "click"
                assert body["deep_link"] == "game://level/7"


async def test_explain_says_why_an_install_is_organic(tracker, clock):
    with trio.fail_after(20):
        async with served(tracker) as (client, _):
            s = await _setup(client)
            await client.get(f"/c/{s['link']['code']}?mt_gaid={GAID}")
            clock.advance(hours=168, seconds=1)
            [result] = await _sdk(
                client, s["app"]["sdk_key"], _install("e1", "inst-1", device={"gaid": GAID})
            )
            assert result["attribution"]["type"] == "organic"
            path = f"/api/v1/installs/{result['install_id']}/explain"
            assert (await client.get(path)).status_code == 401
            r = await client.get(path, headers=auth())
            assert r.status_code == 200
            body = r.json()
            assert body["method"] == "organic" and body["type"] == "new_install"
            assert [p["reason"] for p in body["passed_over"]] == [
                "outside click window (168h00m01s > 168h)"
            ]
            assert body["summary"].startswith("Install is Organic")
            r = await client.get("/api/v1/installs/nope/explain", headers=auth())
            assert r.status_code == 404


async def test_explain_is_scoped_for_partner_tokens(tracker, clock):
    with trio.fail_after(20):
        async with served(tracker) as (client, _):
            s = await _setup(client)
            await client.get(f"/c/{s['link']['code']}?mt_gaid={GAID}")
            [result] = await _sdk(
                client, s["app"]["sdk_key"], _install("e1", "inst-1", device={"gaid": GAID})
            )
            path = f"/api/v1/installs/{result['install_id']}/explain"
            own = tracker.catalog_service.issue_token(role="partner", partner_id=s["partner"]["id"])
            other = await create(client, "/partners", {"title": "Other", "utm_sources": ["o"]})
            foreign = tracker.catalog_service.issue_token(role="partner", partner_id=other["id"])
            tracker.refresh_directory()
            assert (await client.get(path, headers=auth(own))).status_code == 200
            assert (await client.get(path, headers=auth(foreign))).status_code == 404


async def test_raw_installs_and_attributions(tracker, clock):
    with trio.fail_after(20):
        async with served(tracker) as (client, _):
            s = await _setup(client)
            key = s["app"]["sdk_key"]
            await client.get(f"/c/{s['link']['code']}?mt_gaid={GAID}")
            clock.advance(minutes=10)
            [paid] = await _sdk(client, key, _install("e1", "inst-1", device={"gaid": GAID}))
            clock.advance(days=1)
            [organic] = await _sdk(client, key, _install("e2", "inst-2"))
            # 40 days later the first device comes back: a re-engagement to Organic
            clock.advance(days=40)
            await _sdk(
                client,
                key,
                {"event_id": "e3", "type": "launch", "device": {"instance_id": "inst-1"}},
            )

            r = await client.get("/api/v1/raw/installs", headers=auth())
            assert r.status_code == 200
            rows = [json.loads(line) for line in r.text.splitlines()]
            assert [row["install_id"] for row in rows] == [
                paid["install_id"],
                organic["install_id"],
            ]
            assert rows[0]["attribution"] == "click" and rows[1]["attribution"] == "organic"
            assert rows[0]["ts"].endswith("Z")

            r = await client.get(
                f"/api/v1/raw/installs?link_code={s['link']['code']}", headers=auth()
            )
            assert [json.loads(x)["install_id"] for x in r.text.splitlines()] == [
                paid["install_id"]
            ]
            day = clock.now.date().isoformat()
            r = await client.get(f"/api/v1/raw/installs?from={day}", headers=auth())
            assert r.text == ""
            partner = s["partner"]["id"]
            for kind in ("installs", "attributions"):
                r = await client.get(f"/api/v1/raw/{kind}?partner_id={partner}", headers=auth())
                assert [json.loads(x)["install_id"] for x in r.text.splitlines()] == [
                    paid["install_id"]
                ]
                r = await client.get(f"/api/v1/raw/{kind}?partner_id=nonexistent", headers=auth())
                assert r.status_code == 200 and r.text == ""

            r = await client.get("/api/v1/raw/attributions?format=csv", headers=auth())
            table = list(csv.DictReader(io.StringIO(r.text)))
            assert [row["type"] for row in table] == ["new_install", "new_install", "reengagement"]
            assert table[2]["attribution"] == "organic" and table[2]["reattributed"] == "1"
            assert table[2]["install_id"] == paid["install_id"]
            assert (await client.get("/api/v1/raw/installs")).status_code == 401


class _FailingAttribution:
    async def on_sdk_events(self, events):
        raise RuntimeError("attribution store unavailable")


async def test_an_install_stored_but_not_attributed_is_attributed_when_sent_again(tracker, clock):
    with trio.fail_after(20):
        async with served(tracker) as (client, asgi):
            s = await _setup(client)
            code, key = s["link"]["code"], s["app"]["sdk_key"]
            await client.get(f"/c/{code}?mt_gaid={GAID}")
            clock.advance(minutes=5)
            ingest = asgi.services.ingest
            real, ingest.attribution = ingest.attribution, _FailingAttribution()
            batch = {"events": [_install("e1", "inst-1", device={"gaid": GAID})]}
            r = await client.post("/sdk/v1/events", json=batch, headers={"X-SDK-Key": key})
            assert r.status_code == 503
            assert r.json()["detail"].startswith("attribution:")
            ingest.attribution = real
            [result] = await _sdk(client, key, *batch["events"])
            assert result["status"] == "duplicate"
            assert result["attribution"]["type"] == "click"
            assert result["attribution"]["link_code"] == code
            [repeat] = await _sdk(client, key, *batch["events"])
            assert repeat["status"] == "duplicate"
            assert repeat["install_id"] == result["install_id"]
            assert "deep_link" not in repeat
