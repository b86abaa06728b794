"""GET /api/v1/reports over events that went through the store: counts, tariffs, corrections,
JSON and CSV, partner scoping, errors naming the field; the counters replay equal."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.attribution_world import World
from tests.web.api_helpers import call, error
from tracker.replay import replay

pytestmark = pytest.mark.usefixtures("store")

DAY = date(2026, 11, 1)
T = datetime(2026, 11, 1, 10, tzinfo=UTC)
Q = f"/api/v1/reports?from={DAY}&to={DAY}"


def _traffic(tracker) -> dict[str, Any]:
    """Two partners' campaigns: A with 1,500 impressions, 30 clicks, 3 installs and a
    purchase; B with 10 clicks."""
    world = World(tracker)
    service = tracker.catalog_service
    a = service.create_partner(title="A", utm_sources=["a"], macros={}, params={})
    b = service.create_partner(title="B", utm_sources=["b"], macros={}, params={})
    tracker.refresh_directory()
    app_id = world.app()
    code_a = world.link(app_id, partner_id=str(a.id))
    code_b = world.link(app_id, partner_id=str(b.id))
    campaign_a = tracker.catalog.link(code_a).campaign_id
    service.add_tariff(campaign_a, model="cpm", rate="2.00", currency="USD", starts_on=DAY)
    service.add_tariff(
        campaign_a, model="cpa", target="install", rate="1.50", currency="USD", starts_on=DAY
    )
    tracker.refresh_directory()
    events = [(code_a, "impression", T + timedelta(seconds=i), {}) for i in range(1500)] + [
        (code_a, "click", T + timedelta(seconds=i), {"gaid": f"g{i}"}) for i in range(30)
    ]
    events += [(code_b, "click", T, {}) for _ in range(10)]
    for code, kind, ts, device in events:
        world.touch(code, ts, kind=kind, **device)
    tracker.attribution.refresh_touchpoints()
    for i in range(3):
        install = world.sdk(
            app_id, "install", T + timedelta(hours=1), instance_id=f"i{i}", gaid=f"g{i}"
        )
        tracker.attribution.handle(install)
    purchase = world.sdk(
        app_id,
        "purchase",
        T + timedelta(hours=2),
        instance_id="i0",
        gaid="g0",
        revenue="9.00",
        currency="USD",
    )
    tracker.attribution.handle(purchase)
    return {"app_id": app_id, "a": str(a.id), "b": str(b.id), "campaign_a": campaign_a}


async def test_a_report_by_day_and_campaign(client, tracker):
    s = _traffic(tracker)
    metrics = "impressions,clicks,installs,revenue,cost_tariffs,campaign_cost,ctr,ecpi,roi"
    _, got = await call(client, "GET", f"{Q}&dimensions=day,partner&metrics={metrics}", expect=200)
    rows = {r["partner_id"]: r for r in got["rows"]}
    assert rows[s["a"]] == {
        "day": "2026-11-01",
        "partner_id": s["a"],
        "impressions": 1500,
        "clicks": 30,
        "installs": 3,
        "revenue": "9.00",
        "cost_tariffs": "7.50",  # 1,500 impressions at CPM 2.00 + 3 installs at 1.50
        "campaign_cost": "7.50",
        "ctr": "0.02",
        "ecpi": "2.50",
        "roi": "0.20",
    }
    assert rows[s["b"]]["clicks"] == 10
    assert got["totals"]["clicks"] == 40


async def test_a_correction_shows_and_leaves_when_deleted(client, tracker):
    s = _traffic(tracker)
    correction = tracker.catalog_service.create_correction(
        s["campaign_a"],
        app_id=s["app_id"],
        amount=Decimal("-24.00"),
        currency="USD",
        starts_on=DAY,
        ends_on=DAY,
        timezone="UTC",
        description="refund",
    )
    tracker.refresh_directory()
    path = f"{Q}&dimensions=campaign&metrics=cost_corrections,campaign_cost"
    _, got = await call(client, "GET", path, expect=200)
    assert got["totals"] == {"cost_corrections": "-24.00", "campaign_cost": "-16.50"}
    tracker.catalog_service.delete_correction(str(correction.id))
    tracker.refresh_directory()
    _, got = await call(client, "GET", path, expect=200)
    assert got["totals"] == {"cost_corrections": "0.00", "campaign_cost": "7.50"}


async def test_csv_has_the_rows_and_a_total_line(client, tracker):
    _traffic(tracker)
    r = await client.get(
        f"{Q}&dimensions=day&metrics=clicks,installs&format=csv",
        headers={"Authorization": "Bearer test-admin-token"},
    )
    assert r.status_code == 200
    table = list(csv.DictReader(io.StringIO(await r.get_data(as_text=True))))
    assert table == [
        {"day": "2026-11-01", "clicks": "40", "installs": "3"},
        {"day": "total", "clicks": "40", "installs": "3"},
    ]


async def test_a_partner_token_sees_only_its_rows(client, tracker):
    s = _traffic(tracker)
    _, token = await call(
        client, "POST", "/api/v1/tokens", json={"role": "partner", "partner_id": s["b"]}, expect=201
    )
    _, got = await call(
        client, "GET", f"{Q}&dimensions=partner&metrics=clicks", token=token["token"], expect=200
    )
    assert got["rows"] == [{"partner_id": s["b"], "clicks": 10}]


@pytest.mark.parametrize("dims", ["campaign,partner,app", "link,hour"])  # day and quarter tables
async def test_a_partner_without_campaigns_sees_no_organic_rows(client, tracker, dims):
    s = _traffic(tracker)
    tracker.attribution.handle(World(tracker).sdk(s["app_id"], "install", T, instance_id="o"))
    idle = tracker.catalog_service.create_partner(
        title="Idle", utm_sources=["idle"], macros={}, params={}
    )
    tracker.refresh_directory()
    _, token = await call(
        client,
        "POST",
        "/api/v1/tokens",
        json={"role": "partner", "partner_id": str(idle.id)},
        expect=201,
    )
    path = f"{Q}&dimensions={dims}&metrics=clicks,installs"
    _, got = await call(client, "GET", path, token=token["token"], expect=200)
    assert got["rows"] == [] and got["totals"] == {"clicks": 0, "installs": 0}
    _, other = await call(
        client, "GET", f"{path}&campaign_id={s['campaign_a']}", token=token["token"], expect=200
    )
    assert other["rows"] == []


async def test_a_dimension_or_metric_named_twice_counts_once(client, tracker):
    _traffic(tracker)
    path = f"{Q}&dimensions=partner,day,partner&metrics=clicks,clicks"
    _, got = await call(client, "GET", path, expect=200)
    assert got["totals"] == {"clicks": 40}
    assert set(got["rows"][0]) == {"partner_id", "day", "clicks"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("&tz=Mars/Olympus", "tz"),
        ("&dimensions=week", "dimensions"),
        ("&metrics=likes", "metrics"),
        ("&currency=usd", "currency"),
        ("&app_id=%00", "app_id"),
    ],
)
async def test_a_bad_report_query_names_its_field(client, query, field):
    data = await error(client, "GET", Q + query, 400)
    assert data["detail"].startswith(field), data


@pytest.mark.parametrize(
    ("days", "field"),
    [("from=0001-01-01&to=0001-01-02", "from"), ("from=2026-01-01&to=9999-12-31", "to")],
)
async def test_days_out_of_range_are_refused(client, days, field):
    data = await error(client, "GET", f"/api/v1/reports?{days}&tz=Asia/Kolkata", 400)
    assert data["detail"].startswith(field), data


async def test_a_missing_fx_rate_answers_422_naming_currency_and_date(client, tracker):
    world = World(tracker)
    app_id = world.app()
    install = world.sdk(app_id, "install", T, instance_id="x")
    tracker.attribution.handle(install)
    tracker.attribution.handle(
        world.sdk(app_id, "purchase", T, instance_id="x", revenue="5", currency="EUR")
    )
    data = await error(client, "GET", f"{Q}&metrics=revenue", 422)
    assert "EUR" in data["detail"] and "2026-11-01" in data["detail"]


async def test_the_report_counters_replay_equal(client, tracker):
    _traffic(tracker)
    tracker.update_views()
    report = replay(tracker)
    assert report.equal, report.summary()
    assert {"touch_counts", "conversion_counts_v2"} <= {v.name for v in report.views}


async def test_the_day_tables_and_the_quarter_hours_give_the_same_report(client, tracker):
    _traffic(tracker)
    metrics = "impressions,clicks,installs,events:purchase,payers,revenue,campaign_cost,roi"
    for dims in ("day", "day,campaign", "partner", "app,traffic_type"):
        base = f"{Q}&dimensions={dims}&metrics={metrics}"
        _, days = await call(client, "GET", base + "&tz=UTC", expect=200)  # a report zone
        _, quarters = await call(client, "GET", base + "&tz=Etc/GMT", expect=200)  # UTC too
        assert days == quarters, dims
        assert days["totals"]["clicks"] == 40


async def test_conversions_by_country_and_subid(client, tracker):
    """An install's country is the device's when it installed; its SubIDs and those of its
    in-app events are the winning click's; an organic install has none."""
    world = World(tracker)
    app_id = world.app()
    code = world.link(app_id)
    world.touch(code, T, gaid="g1", subids={"sub1": "banner"}, country="DE")
    world.touch(code, T, gaid="g2", subids={"sub1": "video"}, country="DE")
    tracker.attribution.refresh_touchpoints()
    for i, country in ((1, "FR"), (2, "DE"), (3, "US")):
        event = world.sdk(
            app_id,
            "install",
            T + timedelta(hours=1),
            instance_id=f"i{i}",
            gaid=f"g{i}",
            country=country,
        )
        tracker.attribution.handle(event)
    purchase = world.sdk(
        app_id,
        "purchase",
        T + timedelta(hours=2),
        instance_id="i1",
        gaid="g1",
        revenue="4.00",
        currency="USD",
    )
    tracker.attribution.handle(purchase)
    tracker.update_views()
    metrics = "clicks,installs,payers,revenue"
    _, by_country = await call(
        client, "GET", f"{Q}&dimensions=country&metrics={metrics}&app_id={app_id}"
    )
    rows = {r["country"]: r for r in by_country["rows"]}
    assert {c: (r["clicks"], r["installs"], r["payers"]) for c, r in rows.items()} == {
        "DE": (2, 1, 0),
        "FR": (0, 1, 1),
        "US": (0, 1, 0),
    }
    assert rows["FR"]["revenue"] == "4.00"
    _, by_sub1 = await call(client, "GET", f"{Q}&dimensions=sub1&metrics={metrics}&app_id={app_id}")
    rows = {r["sub1"]: r for r in by_sub1["rows"]}
    assert {s: (r["clicks"], r["installs"], r["payers"]) for s, r in rows.items()} == {
        "banner": (1, 1, 1),
        "video": (1, 1, 0),
        "": (0, 1, 0),
    }
    assert by_sub1["totals"]["installs"] == 3


async def test_a_cpi_link_cost_is_charged_at_each_install_its_click_wins(client, tracker):
    """mt_cost_model=CPI on a click: its value (times mt_cost_count) is the link cost of the
    install attributed to it, in the click's currency; a click without an install costs 0."""
    world = World(tracker)
    app_id = world.app()
    code = world.link(app_id)
    cpi = {"model": "CPI", "value": "0.40", "currency": "EUR", "count": 1}
    world.touch(code, T, gaid="g1", cost=cpi)
    world.touch(code, T, gaid="g2", cost={**cpi, "count": 2})
    world.touch(code, T, gaid="g3", cost=cpi)
    tracker.attribution.refresh_touchpoints()
    for i in (1, 2):
        event = world.sdk(
            app_id, "install", T + timedelta(hours=1), instance_id=f"i{i}", gaid=f"g{i}"
        )
        tracker.attribution.handle(event)
    await call(
        client,
        "PUT",
        "/api/v1/fx-rates",
        json={"rows": [{"date": DAY.isoformat(), "currency": "EUR", "rate": "0.80"}]},
    )
    tracker.update_views()
    _, report = await call(
        client,
        "GET",
        f"{Q}&dimensions=day&metrics=clicks,installs,cost_links,campaign_cost,ecpi&app_id={app_id}",
    )
    (row,) = report["rows"]
    # 0.40 + 0.80 EUR at 0.80 EUR per USD
    assert (row["clicks"], row["installs"]) == (3, 2)
    assert Decimal(row["cost_links"]) == Decimal("1.50")
    assert Decimal(row["campaign_cost"]) == Decimal("1.50")
    assert Decimal(row["ecpi"]) == Decimal("0.75")
