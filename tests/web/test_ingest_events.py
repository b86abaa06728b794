"""POST /sdk/v1/events and /s2s/v1/events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import trio

from tests.conftest import auth
from tests.web.ingest_support import served, setup_links
from tracker.domain.ingest import SdkEventReceived
from tracker.ingest.export import SDK_TOPIC

GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"


def stored_events(tracker) -> list[SdkEventReceived]:
    app = tracker.stores.ingest
    return [
        app.mapper.to_domain_event(n)
        for n in app.recorder.select_notifications(start=1, limit=1000, topics=(SDK_TOPIC,))
    ]


def _event(event_id: str, **fields) -> dict:
    return {"event_id": event_id, "type": "launch", "device": {"instance_id": "i-1"}, **fields}


async def _sdk(client, key: str, *events: dict, headers: dict | None = None):
    return await client.post(
        "/sdk/v1/events",
        json={"events": list(events)},
        headers={"X-SDK-Key": key, **(headers or {})},
    )


async def test_sdk_batch_is_stored_with_request_defaults(tracker, clock):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            key = (await setup_links(client))["app"]["sdk_key"]
            old = (clock() - timedelta(days=8)).isoformat()
            recent = (clock() - timedelta(hours=2)).isoformat()
            r = await _sdk(
                client,
                key,
                {
                    "event_id": "a",
                    "type": "install",
                    "device": {"instance_id": "i-1", "gaid": GAID},
                    "referrer": "utm_source=x",
                    "ts": recent,
                },
                _event("b", type="purchase", revenue="4.99", currency="USD", ts=old),
                _event(
                    "c",
                    type="custom",
                    name="level_up",
                    params={"level": "3"},
                    ip="198.51.100.9",
                    ua="Own UA",
                ),
                headers={"User-Agent": "SDK/1.0"},
            )
            assert r.status_code == 200, r.text
            assert [x["status"] for x in r.json()["results"]] == ["accepted"] * 3
            a, b, c = stored_events(tracker)
            assert (a.type, a.referrer, a.device) == (
                "install",
                "utm_source=x",
                {"instance_id": "i-1", "gaid": GAID},
            )
            assert a.event_ts == clock() - timedelta(hours=2)
            assert b.event_ts == clock()  # older than 7 days: the receive time
            assert (b.revenue, b.currency) == (Decimal("4.99"), "USD")
            assert (a.ip, a.ua) == ("203.0.113.7", "SDK/1.0")
            assert (c.ip, c.ua, c.name, c.params) == (
                "198.51.100.9",
                "Own UA",
                "level_up",
                {"level": "3"},
            )
            assert {e.source for e in (a, b, c)} == {"sdk"}


async def test_duplicate_event_ids_answer_duplicate_and_store_nothing(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            key = (await setup_links(client))["app"]["sdk_key"]
            r = await _sdk(client, key, _event("a"), _event("a"))
            assert [x["status"] for x in r.json()["results"]] == ["accepted", "duplicate"]
            r = await _sdk(client, key, _event("a"), _event("b"))
            assert [x["status"] for x in r.json()["results"]] == ["duplicate", "accepted"]
            assert [e.event_id for e in stored_events(tracker)] == ["a", "b"]


async def test_concurrent_identical_batches_store_once(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            key = (await setup_links(client))["app"]["sdk_key"]
            batch = [_event(f"e{i}") for i in range(20)]
            answers = []

            async def send():
                r = await _sdk(client, key, *batch)
                assert r.status_code == 200, r.text
                answers.append([x["status"] for x in r.json()["results"]])

            async with trio.open_nursery() as nursery:
                for _ in range(4):
                    nursery.start_soon(send)
            assert len(stored_events(tracker)) == 20
            accepted = sum(statuses.count("accepted") for statuses in answers)
            assert accepted == 20


async def test_invalid_event_refuses_the_whole_batch(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            key = (await setup_links(client))["app"]["sdk_key"]
            r = await _sdk(client, key, _event("ok"), _event("bad", device={"gaid": "x"}))
            assert r.status_code == 400
            assert r.json() == {
                "error": "invalid",
                "detail": "events[1].device.gaid: not a UUID: 'x'",
            }
            r = await _sdk(client, key, _event("ok"), _event("bad", type="teleport"))
            assert r.status_code == 400
            assert r.json()["detail"].startswith("events[1].type:")
            r = await _sdk(client, key, *[_event(f"e{i}") for i in range(101)])
            assert r.status_code == 400
            assert r.json()["detail"].startswith("events:")
            r = await _sdk(client, key)
            assert r.status_code == 400
            assert stored_events(tracker) == []


async def test_sdk_key_is_required(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            await setup_links(client)
            r = await client.post("/sdk/v1/events", json={"events": [_event("a")]})
            assert r.status_code == 401
            assert r.json()["detail"].startswith("X-SDK-Key")
            r = await _sdk(client, "wrong", _event("a"))
            assert r.status_code == 401


async def test_attribution_port_gets_only_new_events(tracker):
    seen = []

    class Port:
        async def on_sdk_events(self, events):
            seen.append([e.event_id for e in events])
            return {e.event_id: {"install_id": "inst-" + e.event_id} for e in events}

    with trio.fail_after(10):
        async with served(tracker) as (client, asgi):
            asgi.services.ingest.attribution = Port()
            key = (await setup_links(client))["app"]["sdk_key"]
            await _sdk(client, key, _event("a"))
            r = await _sdk(client, key, _event("a"), _event("b"))
            assert r.json()["results"] == [
                {"event_id": "a", "status": "duplicate"},
                {"event_id": "b", "status": "accepted", "install_id": "inst-b"},
            ]
            assert seen == [["a"], ["b"]]


async def test_s2s_events(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            app_id = (await setup_links(client))["app"]["id"]
            body = {"events": [_event("o1", type="purchase", revenue="10", currency="EUR")]}
            r = await client.post(f"/s2s/v1/events?app_id={app_id}", json=body)
            assert r.status_code == 401
            r = await client.post(f"/s2s/v1/events?app_id={app_id}", json=body, headers=auth())
            assert r.status_code == 200, r.text
            assert r.json()["results"][0]["status"] == "accepted"
            (e,) = stored_events(tracker)
            assert (e.source, e.ip, e.ua, e.app_id) == ("s2s", None, None, app_id)
            too_many = {"events": [_event(f"x{i}") for i in range(21)]}
            r = await client.post(f"/s2s/v1/events?app_id={app_id}", json=too_many, headers=auth())
            assert r.status_code == 400 and r.json()["detail"].startswith("events:")
            r = await client.post("/s2s/v1/events?app_id=nope", json=body, headers=auth())
            assert r.status_code == 404
            assert len(stored_events(tracker)) == 1


async def test_routes_are_documented(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            paths = (await client.get("/openapi.json")).json()["paths"]
            for path in (
                "/sdk/v1/events",
                "/s2s/v1/events",
                "/api/v1/raw/clicks",
                "/api/v1/raw/events",
                "/c/{code}",
                "/i/{code}",
            ):
                assert path in paths, path
