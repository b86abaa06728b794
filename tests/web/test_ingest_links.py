"""GET /c/{code} and /i/{code} through the served ASGI app (the fast path)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import trio

from tests.conftest import auth
from tests.ingest.test_targets import ANDROID, DESKTOP, IPHONE
from tests.web.ingest_support import PLAY, served, setup_links
from tracker.bootstrap import Tracker, bootstrap
from tracker.domain.ingest import ClickRecorded, ImpressionRecorded
from tracker.ingest.records import CLICK_TOPIC, IMPRESSION_TOPIC


def stored(tracker: Tracker, topic: str = CLICK_TOPIC) -> list:
    app = tracker.stores.ingest
    return [
        app.mapper.to_domain_event(n)
        for n in app.recorder.select_notifications(start=1, limit=1000, topics=(topic,))
    ]


def _click_id_from_play(location: str) -> str:
    referrer = parse_qs(urlsplit(location).query)["referrer"][0]
    return parse_qs(referrer)["mt_click_id"][0]


async def test_click_redirects_after_storing_it(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            links = await setup_links(client, partner=True)
            r = await client.get(
                f"/c/{links['regular']}?mt_gaid=38400000-8cf0-11bd-b23e-10b96e40000d"
                "&mt_sub1=s1&utm_source=net&clickId=abc&mt_cost_model=CPC&mt_cost_value=0.25",
                headers={"User-Agent": ANDROID},
            )
            assert r.status_code == 302
            location = r.headers["location"]
            assert location.startswith(PLAY + "&referrer=mt_click_id%3D")
            click_id = _click_id_from_play(location)
            (click,) = stored(tracker)
            assert isinstance(click, ClickRecorded)
            assert str(click.originator_id) == click_id
            assert click.link_code == links["regular"]
            assert click.campaign_id == links["campaign"]["id"]
            assert click.partner_id == links["partner_id"]
            assert click.app_id == links["app"]["id"]
            assert click.platform == "android"
            assert click.ip == "203.0.113.7"
            assert click.ua == ANDROID
            assert click.device == {"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"}
            assert click.subids == {"sub1": "s1", "network": "net"}
            assert click.params == {"clickId": "abc", "utm_source": "net"}
            assert click.cost == {
                "model": "CPC",
                "value": Decimal("0.25"),
                "currency": "USD",
                "count": 1,
            }
            assert click.timestamp == tracker.clock()
            assert click.target_url == location
            assert click.malformed == {}
            assert click.s2s is False


async def test_smart_link_routing(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            code = (await setup_links(client))["smart"]
            answers = {}
            for name, ua in (("iphone", IPHONE), ("android", ANDROID), ("desktop", DESKTOP)):
                r = await client.get(f"/c/{code}", headers={"User-Agent": ua})
                assert r.status_code == 302
                answers[name] = r.headers["location"]
            assert answers["iphone"] == "https://apps.apple.com/app/id123"
            # The smart link has no web target: desktops get the fallback.
            assert answers["desktop"] == "https://example.com/landing"
            referrer = parse_qs(parse_qs(urlsplit(answers["android"]).query)["referrer"][0])
            assert referrer["utm_source"] == ["net"] and referrer["mt_click_id"]
            platforms = [c.platform for c in stored(tracker)]
            assert platforms == ["ios", "android", "web"]


async def test_unknown_code_is_404_and_stores_nothing(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            r = await client.get("/c/zzz999")
            assert r.status_code == 404
            assert r.json()["error"] == "not_found"
            assert (await client.get("/i/zzz999")).status_code == 404
            assert stored(tracker) == []


async def test_bad_input_still_redirects_and_is_recorded(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            code = (await setup_links(client))["smart"]
            long_value = "y" * 5000
            r = await client.get(
                f"/c/{code}?mt_gaid=garbage&mt_cost_model=CPI&mt_cost_value=-3"
                f"&bad=%FF%FE&long={long_value}&mt_sub2=fine"
            )
            assert r.status_code == 302
            assert r.headers["location"] == "https://example.com/landing"
            (click,) = stored(tracker)
            assert set(click.malformed) == {"mt_gaid", "mt_cost_value", "bad", "long"}
            assert click.cost is None and click.device == {}
            assert click.subids == {"sub2": "fine"}
            r = await client.get(f"/c/{code}?mt_cost_model=CPC&mt_cost_value=abc")
            assert r.status_code == 302
            assert "not a decimal" in stored(tracker)[1].malformed["mt_cost_value"]


async def test_server_to_server_click(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            code = (await setup_links(client))["regular"]
            r = await client.get(
                f"/c/{code}?mt_no_redirect=1&mt_ip=198.51.100.2&mt_ua=Device%20UA",
                headers={"User-Agent": "partner-server/1.0"},
            )
            assert r.status_code == 200
            body = r.json()
            (click,) = stored(tracker)
            assert body["click_id"] == str(click.originator_id)
            assert click.s2s is True
            assert (click.ip, click.ua) == ("198.51.100.2", "Device UA")


async def test_a_redirected_click_keeps_its_own_ip_and_ua(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            code = (await setup_links(client))["regular"]
            r = await client.get(
                f"/c/{code}?mt_ip=198.51.100.2&mt_ua=Other%20UA", headers={"User-Agent": "Mine"}
            )
            assert r.status_code == 302
            (click,) = stored(tracker)
            assert (click.ip, click.ua) == ("203.0.113.7", "Mine")
            assert "mt_no_redirect" in click.malformed["mt_ip"]
            assert "mt_no_redirect" in click.malformed["mt_ua"]


async def test_impressions(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            code = (await setup_links(client))["regular"]
            r = await client.get(f"/i/{code}?mt_sub1=x")
            assert r.status_code == 204 and r.content == b""
            r = await client.get(f"/i/{code}?mt_pixel=1")
            assert r.status_code == 200
            assert r.headers["content-type"] == "image/gif"
            assert r.content.startswith(b"GIF89a")
            r = await client.get(f"/i/{code}?mt_no_redirect=1")
            assert r.status_code == 200
            impressions = stored(tracker, IMPRESSION_TOPIC)
            assert r.json()["impression_id"] == str(impressions[-1].originator_id)
            assert len(impressions) == 3
            assert all(isinstance(i, ImpressionRecorded) for i in impressions)
            assert impressions[0].subids == {"sub1": "x"}
            assert stored(tracker) == []


async def test_archived_link_keeps_collecting(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            code = (await setup_links(client))["regular"]
            r = await client.patch(
                f"/api/v1/links/{code}", json={"status": "archived"}, headers=auth()
            )
            assert r.status_code == 200, r.text
            assert (await client.get(f"/c/{code}")).status_code == 302
            assert len(stored(tracker)) == 1


async def test_traffic_redirection(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            links = await setup_links(client)
            r = await client.patch(
                f"/api/v1/apps/{links['app']['id']}",
                json={"redirect_url": "https://maintenance.example/"},
                headers=auth(),
            )
            assert r.status_code == 200, r.text
            r = await client.get(f"/c/{links['regular']}")
            assert r.headers["location"] == "https://maintenance.example/"


async def test_quart_routes_answer_like_the_fast_path(client, tracker):
    """Without the fast path in front (e.g. ``create_app`` served directly) the same
    handler answers through Quart."""
    with trio.fail_after(10):
        r = await client.post(
            "/api/v1/apps",
            json={"title": "G", "platform": "android", "store_url": PLAY},
            headers=auth(),
        )
        app_id = (await r.get_json())["id"]
        r = await client.post(
            "/api/v1/campaigns", json={"title": "C", "traffic_type": "media"}, headers=auth()
        )
        campaign_id = (await r.get_json())["id"]
        r = await client.post(
            f"/api/v1/campaigns/{campaign_id}/links",
            json={"title": "L", "app_id": app_id, "target_url": "https://example.com/x"},
            headers=auth(),
        )
        code = (await r.get_json())["code"]
        r = await client.get(f"/c/{code}?mt_sub1=q")
        assert r.status_code == 302
        assert r.headers["Location"] == "https://example.com/x"
        r = await client.get(f"/i/{code}?mt_pixel=1")
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/gif"
        assert (await client.get("/c/nope00")).status_code == 404
        assert len(stored(tracker)) == 1


async def test_link_created_elsewhere_redirects_within_a_second(tracker, settings):
    """Another process's catalog write reaches this process's directory by polling."""
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            links = await setup_links(client)
            other = bootstrap(settings)
            try:
                link = other.catalog_service.create_link(
                    links["campaign"]["id"],
                    app_id=links["app"]["id"],
                    attribution=None,
                    title="New",
                    target_url="https://example.com/new",
                    targets=None,
                    deep_link=None,
                    deferred_deep_link=True,
                )
            finally:
                other.close()
            with trio.fail_after(1):
                while True:
                    r = await client.get(f"/c/{link.code}")
                    if r.status_code == 302:
                        break
                    assert r.status_code == 404
                    await trio.sleep(0.01)
            assert r.headers["location"] == "https://example.com/new"


async def test_link_created_through_the_api_redirects_at_once(tracker):
    with trio.fail_after(10):
        async with served(tracker) as (client, _):
            code = (await setup_links(client))["regular"]
            assert (await client.get(f"/c/{code}")).status_code == 302
