"""GET /api/v1/raw/clicks|impressions|events."""

from __future__ import annotations

import csv
import io
import json

import trio

from tests.conftest import auth
from tests.web.ingest_support import PLAY, served, setup_links


async def _token(client, role: str, partner_id: str | None = None) -> str:
    r = await client.post(
        "/api/v1/tokens", json={"role": role, "partner_id": partner_id}, headers=auth()
    )
    assert r.status_code == 201, r.text
    return r.json()["token"]


async def test_raw_clicks_filters_and_formats(tracker, clock):
    with trio.fail_after(15):
        async with served(tracker) as (client, _):
            links = await setup_links(client, partner=True)
            await client.get(f"/c/{links['regular']}?mt_sub1=a&clickId=1&mt_gaid=bad")
            clock.advance(days=1)
            await client.get(f"/c/{links['smart']}?mt_sub1=b&mt_cost_model=CPC&mt_cost_value=0.5")
            await client.get(f"/i/{links['regular']}")

            r = await client.get("/api/v1/raw/clicks", headers=auth())
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("application/x-ndjson")
            rows = [json.loads(line) for line in r.text.splitlines()]
            assert [row["subids"]["sub1"] for row in rows] == ["a", "b"]
            assert rows[0]["params"] == {"clickId": "1"}
            assert "mt_gaid" in rows[0]["malformed"]
            assert rows[1]["cost"] == {
                "model": "CPC",
                "value": "0.5",
                "currency": "USD",
                "count": 1,
            }
            assert rows[0]["ts"] == "2026-11-01T12:00:00Z"

            r = await client.get(f"/api/v1/raw/clicks?link_code={links['smart']}", headers=auth())
            assert [json.loads(x)["link_code"] for x in r.text.splitlines()] == [links["smart"]]
            r = await client.get("/api/v1/raw/clicks?from=2026-11-02", headers=auth())
            assert len(r.text.splitlines()) == 1
            r = await client.get("/api/v1/raw/clicks?to=2026-11-01", headers=auth())
            assert len(r.text.splitlines()) == 1
            r = await client.get(
                "/api/v1/raw/clicks?from=2026-11-01T12:00:00Z&to=2026-11-01T12:00:01Z",
                headers=auth(),
            )
            assert len(r.text.splitlines()) == 1
            r = await client.get(f"/api/v1/raw/clicks?app_id={links['app']['id']}", headers=auth())
            assert len(r.text.splitlines()) == 1  # the smart link has no app

            r = await client.get("/api/v1/raw/clicks?format=csv", headers=auth())
            assert r.headers["content-type"].startswith("text/csv")
            table = list(csv.DictReader(io.StringIO(r.text)))
            assert [row["sub1"] for row in table] == ["a", "b"]
            assert table[1]["cost_value"] == "0.5"
            assert json.loads(table[0]["params"]) == {"clickId": "1"}

            r = await client.get("/api/v1/raw/impressions", headers=auth())
            assert len(r.text.splitlines()) == 1
            assert "impression_id" in json.loads(r.text)


async def test_raw_export_access(tracker):
    with trio.fail_after(15):
        async with served(tracker) as (client, _):
            links = await setup_links(client, partner=True)
            await client.get(f"/c/{links['regular']}")
            assert (await client.get("/api/v1/raw/clicks")).status_code == 401
            viewer = await _token(client, "viewer")
            r = await client.get("/api/v1/raw/clicks", headers=auth(viewer))
            assert len(r.text.splitlines()) == 1
            own = await _token(client, "partner", links["partner_id"])
            r = await client.get("/api/v1/raw/clicks", headers=auth(own))
            assert len(r.text.splitlines()) == 1
            other_partner = (
                await client.post(
                    "/api/v1/partners",
                    json={"title": "O", "utm_sources": ["o"]},
                    headers=auth(),
                )
            ).json()["id"]
            other = await _token(client, "partner", other_partner)
            r = await client.get("/api/v1/raw/clicks", headers=auth(other))
            assert r.status_code == 200 and r.text == ""
            assert (await client.get("/api/v1/raw/events", headers=auth(other))).status_code == 403


async def test_raw_export_filters_by_partner_through_the_campaign(tracker):
    with trio.fail_after(15):
        async with served(tracker) as (client, _):
            links = await setup_links(client, partner=True)
            other = await client.post(
                "/api/v1/campaigns", json={"title": "Own", "traffic_type": "media"}, headers=auth()
            )
            own_link = await client.post(
                f"/api/v1/campaigns/{other.json()['id']}/links",
                json={"title": "O", "app_id": links["app"]["id"], "target_url": PLAY},
                headers=auth(),
            )
            await client.get(f"/c/{links['regular']}?mt_sub1=partner")
            await client.get(f"/c/{own_link.json()['code']}?mt_sub1=own")
            await client.get(f"/i/{links['regular']}")
            key = links["app"]["sdk_key"]
            event = {"event_id": "e1", "type": "launch", "device": {"instance_id": "i"}}
            r = await client.post(
                "/sdk/v1/events", json={"events": [event]}, headers={"X-SDK-Key": key}
            )
            assert r.status_code == 200, r.text

            def rows(r) -> list[dict]:
                assert r.status_code == 200, r.text
                return [json.loads(line) for line in r.text.splitlines()]

            partner = links["partner_id"]
            r = await client.get(f"/api/v1/raw/clicks?partner_id={partner}", headers=auth())
            assert [row["subids"]["sub1"] for row in rows(r)] == ["partner"]
            r = await client.get(f"/api/v1/raw/impressions?partner_id={partner}", headers=auth())
            assert len(rows(r)) == 1
            r = await client.get("/api/v1/raw/clicks?partner_id=nonexistent", headers=auth())
            assert rows(r) == []
            # an SDK event belongs to no campaign, so to no partner
            r = await client.get(f"/api/v1/raw/events?partner_id={partner}", headers=auth())
            assert rows(r) == []
            r = await client.get("/api/v1/raw/events", headers=auth())
            assert len(rows(r)) == 1
            # a partner token asking for another partner gets nothing
            token = await _token(client, "partner", partner)
            r = await client.get("/api/v1/raw/clicks?partner_id=nonexistent", headers=auth(token))
            assert rows(r) == []


async def test_raw_events_and_bad_query(tracker):
    with trio.fail_after(15):
        async with served(tracker) as (client, _):
            key = (await setup_links(client))["app"]["sdk_key"]
            await client.post(
                "/sdk/v1/events",
                json={
                    "events": [
                        {
                            "event_id": "e1",
                            "type": "purchase",
                            "revenue": "1.5",
                            "currency": "USD",
                            "device": {"instance_id": "i"},
                        }
                    ]
                },
                headers={"X-SDK-Key": key},
            )
            r = await client.get("/api/v1/raw/events?format=csv", headers=auth())
            (row,) = csv.DictReader(io.StringIO(r.text))
            assert (row["event_id"], row["revenue"], row["instance_id"]) == ("e1", "1.5", "i")
            r = await client.get("/api/v1/raw/events?from=yesterday", headers=auth())
            assert r.status_code == 400
            assert r.json()["detail"].startswith("from:")
            r = await client.get("/api/v1/raw/events?format=xml", headers=auth())
            assert r.status_code == 400


async def test_raw_export_pages_through_many_rows(tracker, monkeypatch):
    from tracker.services import export

    monkeypatch.setattr(export, "EXPORT_PAGE", 7)
    with trio.fail_after(15):
        async with served(tracker) as (client, _):
            code = (await setup_links(client))["regular"]
            for i in range(30):
                await client.get(f"/c/{code}?mt_sub1={i}")
            r = await client.get("/api/v1/raw/clicks", headers=auth())
            subs = [json.loads(x)["subids"]["sub1"] for x in r.text.splitlines()]
            assert subs == [str(i) for i in range(30)]


async def test_clicks_impressions_and_events_carry_the_country_of_their_ip(tracker):
    with trio.fail_after(15):
        async with served(tracker) as (client, _):
            links = await setup_links(client)
            code = links["regular"]
            # A partner's server reports the user's IP (S2S); a browser's own IP is the peer's.
            await client.get(f"/c/{code}?mt_no_redirect=1&mt_ip=77.88.55.60")
            await client.get(f"/c/{code}?mt_no_redirect=1&mt_ip=2001:4860:4860::8888")
            await client.get(f"/c/{code}")  # from 203.0.113.7, the test client: no country
            await client.get(f"/i/{code}?mt_no_redirect=1&mt_ip=8.8.8.8")
            key = links["app"]["sdk_key"]
            batch = {
                "events": [
                    {
                        "event_id": "e-1",
                        "type": "launch",
                        "device": {"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"},
                        "ip": "8.8.8.8",
                    },
                    {
                        "event_id": "e-2",
                        "type": "launch",
                        "device": {"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"},
                    },
                ]
            }
            r = await client.post("/sdk/v1/events", json=batch, headers={"X-SDK-Key": key})
            assert r.status_code == 200, r.text

            r = await client.get("/api/v1/raw/clicks", headers=auth())
            assert [json.loads(x)["country"] for x in r.text.splitlines()] == ["RU", "US", None]
            r = await client.get("/api/v1/raw/impressions?format=csv", headers=auth())
            (row,) = list(csv.DictReader(io.StringIO(r.text)))
            assert row["country"] == "US"
            r = await client.get("/api/v1/raw/events", headers=auth())
            assert [json.loads(x)["country"] for x in r.text.splitlines()] == ["US", None]
