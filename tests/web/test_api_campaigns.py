"""Campaigns with their tariffs, tracking links and corrections."""

from __future__ import annotations

import re
from typing import Any

import pytest
import trio

from tests.web.api_helpers import (
    ANDROID_STORE,
    call,
    create_app,
    create_campaign,
    create_link,
    create_partner,
    create_smart_link,
    error,
)

pytestmark = pytest.mark.usefixtures("store")


# campaigns


async def test_create_list_get_and_patch_campaigns(client: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        campaign = await create_campaign(client, partner_id=partner["id"])
        assert campaign["status"] == "active"
        assert campaign["campaign_type"] == "regular"
        assert campaign["traffic_type"] == "media"
        assert campaign["partner_id"] == partner["id"]
        assert campaign["tariffs"] == []
        preinstall = await create_campaign(
            client, title="OEM", campaign_type="preinstall", traffic_type="preinstall"
        )
        assert preinstall["partner_id"] is None
        system = await create_campaign(client, title="Own", partner_id="no_partner")
        assert system["partner_id"] == "no_partner"
        _, listing = await call(client, "GET", "/api/v1/campaigns", expect=200)
        ids = [c["id"] for c in listing["campaigns"]]
        assert ids == [campaign["id"], preinstall["id"], system["id"]]
        path = f"/api/v1/campaigns/{campaign['id']}"
        _, got = await call(client, "GET", path, expect=200)
        assert got == campaign
        _, paused = await call(
            client, "PATCH", path, json={"status": "paused", "title": "Spring 2"}, expect=200
        )
        assert (paused["status"], paused["title"]) == ("paused", "Spring 2")
        _, moved = await call(
            client, "PATCH", path, json={"traffic_type": "social", "partner_id": "organic"}
        )
        assert (moved["traffic_type"], moved["partner_id"]) == ("social", "organic")
        _, same = await call(client, "PATCH", path, json={}, expect=200)
        assert same == moved


async def test_bad_campaigns(client: Any) -> None:
    with trio.fail_after(10):
        cases = [
            ({"traffic_type": "media"}, 400, "title"),
            ({"title": "C"}, 400, "traffic_type"),
            ({"title": "C", "traffic_type": "tv"}, 404, "traffic_type"),
            ({"title": "C", "traffic_type": "media", "campaign_type": "cpi"}, 400, "campaign_type"),
            ({"title": "C", "traffic_type": "media", "status": "paused"}, 400, "status"),
            ({"title": "C", "traffic_type": "media", "partner_id": "nope"}, 404, "partner_id"),
            ({"title": "C", "traffic_type": "media", "partner_id": 7}, 400, "partner_id"),
        ]
        for body, status, field in cases:
            data = await error(client, "POST", "/api/v1/campaigns", status, json=body)
            assert data["detail"].startswith(f"{field}:"), (body, data)
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}"
        patches = [
            ({"status": "deleted"}, 400, "status"),
            ({"traffic_type": "tv"}, 404, "traffic_type"),
            ({"partner_id": "nope"}, 404, "partner_id"),
            ({"campaign_type": "preinstall"}, 400, "campaign_type"),
            ({"title": ""}, 400, "title"),
        ]
        for body, status, field in patches:
            data = await error(client, "PATCH", path, status, json=body)
            assert data["detail"].startswith(f"{field}:"), (body, data)
        _, again = await call(client, "GET", path, expect=200)
        assert again == campaign
        _, listing = await call(client, "GET", "/api/v1/campaigns", expect=200)
        assert len(listing["campaigns"]) == 1
        missing = "/api/v1/campaigns/00000000-0000-0000-0000-000000000000"
        data = await error(client, "GET", missing, 404)
        assert data["detail"].startswith("campaign_id:")
        await error(client, "PATCH", missing, 404, json={"title": "x"})


# tariffs


TARIFFS = [
    {"model": "cpa", "target": "install", "rate": "1.50", "currency": "USD"},
    {"model": "cpa", "target": "reinstall", "rate": "0.5", "currency": "EUR"},
    {"model": "cpa", "target": "reengagement", "rate": "0.2", "currency": "USD"},
    {"model": "cpa", "target": "first_payment", "rate": "3", "currency": "RUB"},
    {"model": "cpa", "target": "custom_event", "event_name": "level_10", "rate": "2.00",
     "currency": "USD"},
    {"model": "cpc", "rate": "0.05", "currency": "USD"},
    {"model": "cpm", "rate": "4.20", "currency": "USD"},
    {"model": "revshare", "percent": "30", "currency": "USD"},
    {"model": "other", "currency": "USD"},
]  # fmt: skip


async def test_tariffs_of_every_model(client: Any) -> None:
    with trio.fail_after(10):
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}/tariffs"
        created = []
        for fields in TARIFFS:
            body = fields | {"starts_on": "2026-01-01", "ends_on": "2026-12-31"}
            _, tariff = await call(client, "POST", path, json=body, expect=201)
            for key, value in fields.items():
                assert tariff[key] == value, (key, tariff)
            assert (tariff["starts_on"], tariff["ends_on"]) == ("2026-01-01", "2026-12-31")
            created.append(tariff)
        assert created[5]["target"] is None and created[5]["percent"] is None
        assert created[7]["rate"] is None
        assert len({t["id"] for t in created}) == len(TARIFFS)
        _, listing = await call(client, "GET", path, expect=200)
        assert listing["tariffs"] == created
        _, got = await call(client, "GET", f"/api/v1/campaigns/{campaign['id']}", expect=200)
        assert got["tariffs"] == created


async def test_a_tariff_is_ended_and_keeps_its_rate(client: Any) -> None:
    with trio.fail_after(10):
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}/tariffs"
        body = {"model": "cpc", "rate": "0.10", "currency": "USD", "starts_on": "2026-01-01"}
        _, open_ended = await call(client, "POST", path, json=body, expect=201)
        # Another model: two tariffs of one model and target may not overlap.
        other_body = body | {"model": "cpm", "rate": "0.20"}
        _, other = await call(client, "POST", path, json=other_body, expect=201)
        assert open_ended["ends_on"] is None
        _, ended = await call(
            client, "PATCH", f"{path}/{open_ended['id']}", json={"ends_on": "2026-03-31"}
        )
        assert ended == open_ended | {"ends_on": "2026-03-31"}
        _, listing = await call(client, "GET", path, expect=200)
        assert listing["tariffs"] == [ended, other]
        # A one-day tariff is allowed; before its start is not, nor any other field.
        await call(client, "PATCH", f"{path}/{other['id']}", json={"ends_on": "2026-01-01"})
        cases = [
            ({"ends_on": "2025-12-31"}, 400, "ends_on"),
            ({"ends_on": "2026-02-30"}, 400, "ends_on"),
            ({}, 400, "ends_on"),
            ({"ends_on": "2026-05-01", "rate": "9"}, 400, "rate"),
        ]
        for patch, status, field in cases:
            data = await error(client, "PATCH", f"{path}/{ended['id']}", status, json=patch)
            assert data["detail"].startswith(f"{field}:"), (patch, data)
        data = await error(client, "PATCH", f"{path}/nope", 404, json={"ends_on": "2026-05-01"})
        assert data["detail"].startswith("tariff_id:")
        missing = "/api/v1/campaigns/00000000-0000-0000-0000-000000000000/tariffs/x"
        await error(client, "PATCH", missing, 404, json={"ends_on": "2026-05-01"})
        _, listing = await call(client, "GET", path, expect=200)
        assert listing["tariffs"][0] == ended
        _, history = await call(client, "GET", "/api/v1/events?stream=catalog", expect=200)
        assert [e["type"] for e in history["events"]].count("Campaign.TariffEnded") == 2


async def test_bad_tariffs_name_their_field_and_add_nothing(client: Any) -> None:
    with trio.fail_after(10):
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}/tariffs"
        base = {"model": "cpc", "rate": "0.10", "currency": "USD", "starts_on": "2026-01-01"}
        cases = [
            ({"model": "cpx"}, "model"),
            ({"model": "cpa"}, "target"),
            ({"model": "cpa", "target": "click"}, "target"),
            ({"model": "cpa", "target": "custom_event"}, "event_name"),
            ({"model": "cpm", "rate": None}, "rate"),
            ({"rate": "-1"}, "rate"),
            ({"rate": "1e3"}, "rate"),
            ({"rate": 0.1}, "rate"),
            ({"model": "revshare", "rate": None}, "percent"),
            ({"model": "revshare", "percent": "101"}, "percent"),
            ({"currency": "usd"}, "currency"),
            ({"currency": "XXQ"}, "currency"),
            ({"starts_on": "2026-02-30"}, "starts_on"),
            ({"starts_on": "01.02.2026"}, "starts_on"),
            ({"ends_on": "2025-12-31"}, "ends_on"),
            ({"discount": "5"}, "discount"),
        ]
        for change, field in cases:
            body = {k: v for k, v in (base | change).items() if v is not None}
            data = await error(client, "POST", path, 400, json=body)
            assert data["detail"].startswith(f"{field}:"), (body, data)
        no_start = {k: v for k, v in base.items() if k != "starts_on"}
        data = await error(client, "POST", path, 400, json=no_start)
        assert data["detail"] == "starts_on: required"
        _, listing = await call(client, "GET", path, expect=200)
        assert listing["tariffs"] == []
        missing = "/api/v1/campaigns/00000000-0000-0000-0000-000000000000/tariffs"
        await error(client, "POST", missing, 404, json=base)
        await error(client, "GET", missing, 404)


# links


async def test_regular_link(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client, attribution={"click_window_hours": 72})
        campaign = await create_campaign(client)
        link = await create_link(
            client,
            campaign["id"],
            app_id=app["id"],
            target_url=ANDROID_STORE,
            deep_link="game://level/3",
        )
        assert re.fullmatch(r"[a-z]\d{5}", link["code"])
        assert link["kind"] == "regular"
        assert link["campaign_id"] == campaign["id"]
        assert link["click_url"] == f"http://tracker.test/c/{link['code']}"
        assert link["impression_url"] == f"http://tracker.test/i/{link['code']}"
        assert link["deep_link"] == "game://level/3"
        assert link["deferred_deep_link"] is True
        assert link["attribution"]["click_window_hours"] == 72
        assert link["status"] == "active"
        _, got = await call(client, "GET", f"/api/v1/links/{link['code']}", expect=200)
        assert got == link
        _, listing = await call(client, "GET", f"/api/v1/campaigns/{campaign['id']}/links")
        assert listing["links"] == [link]


async def test_smart_link_without_an_app(client: Any) -> None:
    with trio.fail_after(10):
        campaign = await create_campaign(client)
        link = await create_smart_link(client, campaign["id"], attribution={"view_window_hours": 1})
        assert link["kind"] == "smart"
        assert link["app_id"] is None
        assert link["target_url"] is None
        assert link["targets"] == {
            "android": ANDROID_STORE,
            "ios": "https://apps.apple.com/app/id123",
            "fallback": "https://example.com/",
        }
        assert link["attribution"]["view_window_hours"] == 1
        assert link["attribution"]["click_window_hours"] == 168


async def test_link_attribution_is_frozen_at_creation(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client)
        campaign = await create_campaign(client)
        link = await create_link(client, campaign["id"], app_id=app["id"], target_url=ANDROID_STORE)
        await call(
            client,
            "PATCH",
            f"/api/v1/apps/{app['id']}",
            json={"attribution": {"click_window_hours": 1, "reattribute_to_organic": False}},
            expect=200,
        )
        _, got = await call(client, "GET", f"/api/v1/links/{link['code']}", expect=200)
        assert got["attribution"] == link["attribution"]
        assert got["attribution"]["click_window_hours"] == 168
        newer = await create_link(
            client, campaign["id"], app_id=app["id"], target_url=ANDROID_STORE
        )
        assert newer["attribution"]["click_window_hours"] == 1
        assert newer["attribution"]["reattribute_to_organic"] is False
        data = await error(
            client,
            "PATCH",
            f"/api/v1/links/{link['code']}",
            400,
            json={"attribution": {"click_window_hours": 2}},
        )
        assert data["detail"].startswith("attribution:")


async def test_partner_macros_show_on_link_templates(client: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client, macros={"mt_gaid": "{gaid}"})
        campaign = await create_campaign(client, partner_id=partner["id"])
        link = await create_smart_link(client, campaign["id"])
        assert link["click_url_template"] == f"{link['click_url']}?mt_gaid={{gaid}}"
        await call(
            client,
            "PATCH",
            f"/api/v1/partners/{partner['id']}",
            json={"macros": {"mt_idfa": "%%IDFA%%"}},
            expect=200,
        )
        _, got = await call(client, "GET", f"/api/v1/links/{link['code']}", expect=200)
        assert got["click_url_template"] == f"{link['click_url']}?mt_idfa=%%IDFA%%"
        assert got["impression_url_template"] == f"{link['impression_url']}?mt_idfa=%%IDFA%%"


async def test_patch_link(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client)
        campaign = await create_campaign(client)
        link = await create_link(
            client, campaign["id"], app_id=app["id"], target_url=ANDROID_STORE, deep_link="g://x"
        )
        path = f"/api/v1/links/{link['code']}"
        _, patched = await call(
            client,
            "PATCH",
            path,
            json={"title": "Renamed", "target_url": "https://example.com/new", "deep_link": ""},
            expect=200,
        )
        assert patched["title"] == "Renamed"
        assert patched["target_url"] == "https://example.com/new"
        assert patched["deep_link"] is None
        _, archived = await call(client, "PATCH", path, json={"status": "archived"}, expect=200)
        assert archived["status"] == "archived"
        _, same = await call(client, "PATCH", path, json={}, expect=200)
        assert same == archived
        for body, field in [
            ({"status": "paused"}, "status"),
            ({"target_url": "ftp://x"}, "target_url"),
            ({"code": "b00000"}, "code"),
            ({"app_id": app["id"]}, "app_id"),
        ]:
            data = await error(client, "PATCH", path, 400, json=body)
            assert data["detail"].startswith(f"{field}:"), (body, data)
        smart = await create_smart_link(client, campaign["id"])
        data = await error(
            client,
            "PATCH",
            f"/api/v1/links/{smart['code']}",
            400,
            json={"target_url": "https://x.example"},
        )
        assert data["detail"].startswith("target_url:")
        await error(client, "PATCH", "/api/v1/links/z99999", 404, json={"title": "x"})


async def test_bad_links(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client)
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}/links"
        regular = {"title": "L", "app_id": app["id"], "target_url": ANDROID_STORE}
        smart = {"title": "L", "targets": {"fallback": "https://example.com"}}
        cases = [
            ({"title": "L", "target_url": ANDROID_STORE}, 400, "app_id"),
            ({"title": "L", "app_id": app["id"]}, 400, "target_url"),
            (regular | {"target_url": "javascript:alert(1)"}, 400, "target_url"),
            (regular | {"app_id": "nope"}, 404, "app_id"),
            (regular | {"title": ""}, 400, "title"),
            (regular | {"attribution": {"click_window_hours": 721}}, 400,
             "attribution.click_window_hours"),
            (regular | {"attribution": {"view_window_hours": 0}}, 400,
             "attribution.view_window_hours"),
            ({"title": "L", "targets": {"android": ANDROID_STORE}}, 400, "targets.fallback"),
            ({"title": "L", "targets": {"fallback": ""}}, 400, "targets.fallback"),
            ({"title": "L", "targets": {"fallback": "ftp://x"}}, 400, "targets.fallback"),
            (smart | {"targets": {"fallback": "https://x.example", "tv": "https://y"}}, 400,
             "targets.tv"),
            (smart | {"target_url": ANDROID_STORE}, 400, "target_url"),
            (smart | {"deferred_deep_link": "yes"}, 400, "deferred_deep_link"),
        ]  # fmt: skip
        for body, status, field in cases:
            data = await error(client, "POST", path, status, json=body)
            assert data["detail"].startswith(f"{field}:"), (body, data)
        _, listing = await call(client, "GET", path, expect=200)
        assert listing["links"] == []
        missing = "/api/v1/campaigns/00000000-0000-0000-0000-000000000000/links"
        data = await error(client, "POST", missing, 404, json=smart)
        assert data["detail"].startswith("campaign_id:")
        await error(client, "GET", missing, 404)
        data = await error(client, "GET", "/api/v1/links/z99999", 404)
        assert data["detail"].startswith("code:")


async def test_no_new_links_on_an_archived_campaign(client: Any) -> None:
    with trio.fail_after(10):
        campaign = await create_campaign(client)
        await call(
            client,
            "PATCH",
            f"/api/v1/campaigns/{campaign['id']}",
            json={"status": "archived"},
            expect=200,
        )
        data = await error(
            client,
            "POST",
            f"/api/v1/campaigns/{campaign['id']}/links",
            400,
            json={"title": "L", "targets": {"fallback": "https://example.com"}},
        )
        assert data["detail"].startswith("campaign_id:")


# corrections


async def test_corrections_create_list_delete(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client)
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}/corrections"
        body = {
            "app_id": app["id"],
            "amount": "-120.50",
            "currency": "EUR",
            "starts_on": "2026-03-01",
            "ends_on": "2026-03-31",
            "timezone": "Europe/Moscow",
            "description": "refund from the network",
        }
        _, correction = await call(client, "POST", path, json=body, expect=201)
        for key, value in body.items():
            assert correction[key] == value
        assert correction["deleted"] is False
        _, second = await call(
            client, "POST", path, json=body | {"amount": "10", "ends_on": "2026-03-01"}
        )
        _, listing = await call(client, "GET", path, expect=200)
        assert [c["id"] for c in listing["corrections"]] == [correction["id"], second["id"]]
        status, _ = await call(client, "DELETE", f"/api/v1/corrections/{correction['id']}")
        assert status == 204
        data = await error(client, "DELETE", f"/api/v1/corrections/{correction['id']}", 404)
        assert data["detail"].startswith("correction_id:")
        _, listing = await call(client, "GET", path, expect=200)
        assert [c["id"] for c in listing["corrections"]] == [second["id"]]
        _, history = await call(client, "GET", f"{path}?include_deleted=true", expect=200)
        deleted = {c["id"]: c["deleted"] for c in history["corrections"]}
        assert deleted == {correction["id"]: True, second["id"]: False}
        await error(client, "DELETE", "/api/v1/corrections/nope", 404)
        await error(client, "DELETE", f"/api/v1/corrections/{campaign['id']}", 404)


async def test_bad_corrections(client: Any) -> None:
    with trio.fail_after(10):
        app = await create_app(client)
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}/corrections"
        base = {
            "app_id": app["id"],
            "amount": "5",
            "currency": "USD",
            "starts_on": "2026-03-01",
            "ends_on": "2026-03-02",
        }
        cases = [
            ({"amount": "five"}, 400, "amount"),
            ({"amount": 5}, 400, "amount"),
            ({"currency": "usd"}, 400, "currency"),
            ({"currency": "XXQ"}, 400, "currency"),
            ({"ends_on": "2026-02-28"}, 400, "ends_on"),
            ({"ends_on": "2026-02-30"}, 400, "ends_on"),
            ({"timezone": "Mars/Olympus"}, 400, "timezone"),
            ({"timezone": "MSK"}, 400, "timezone"),
            ({"app_id": "nope"}, 404, "app_id"),
            ({"campaign_id": campaign["id"]}, 400, "campaign_id"),
        ]
        for change, status, field in cases:
            data = await error(client, "POST", path, status, json=base | change)
            assert data["detail"].startswith(f"{field}:"), (change, data)
        data = await error(
            client, "POST", path, 400, json={k: v for k, v in base.items() if k != "ends_on"}
        )
        assert data["detail"] == "ends_on: required"
        _, listing = await call(client, "GET", f"{path}?include_deleted=1", expect=200)
        assert listing["corrections"] == []
        data = await error(client, "GET", f"{path}?include_deleted=maybe", 400)
        assert data["detail"].startswith("include_deleted:")
        missing = "/api/v1/campaigns/00000000-0000-0000-0000-000000000000/corrections"
        await error(client, "POST", missing, 404, json=base)
        await error(client, "GET", missing, 404)


async def test_overlapping_tariffs_of_one_model_and_target_are_refused(client: Any) -> None:
    with trio.fail_after(10):
        campaign = await create_campaign(client)
        path = f"/api/v1/campaigns/{campaign['id']}/tariffs"
        cpa = {"model": "cpa", "target": "install", "rate": "1.00", "currency": "USD"}
        _, first = await call(
            client,
            "POST",
            path,
            json=cpa | {"starts_on": "2026-01-01", "ends_on": "2026-01-31"},
            expect=201,
        )
        data = await error(client, "POST", path, 409, json=cpa | {"starts_on": "2026-01-31"})
        assert data["detail"].startswith("starts_on: overlaps tariff")
        # The day after, another target, or another model: no overlap.
        await call(client, "POST", path, json=cpa | {"starts_on": "2026-02-01"}, expect=201)
        reinstall = cpa | {"target": "reinstall", "starts_on": "2026-01-15"}
        await call(client, "POST", path, json=reinstall, expect=201)
        cpc = {"model": "cpc", "rate": "0.1", "currency": "USD", "starts_on": "2026-01-15"}
        await call(client, "POST", path, json=cpc, expect=201)
        # Ending a tariff later than the next one starts would overlap too.
        data = await error(
            client, "PATCH", f"{path}/{first['id']}", 409, json={"ends_on": "2026-02-10"}
        )
        assert data["detail"].startswith("starts_on: overlaps tariff")
        _, listing = await call(client, "GET", path, expect=200)
        assert len(listing["tariffs"]) == 4
