"""Replay rebuilds every projection from zero and shows it equals the live one."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
import trio

from tests.web.api_helpers import call, create_app, create_campaign, create_smart_link
from tracker.bootstrap import Tracker
from tracker.cli import main
from tracker.projections.base import Projection, Rows
from tracker.projections.tables import Column, Table
from tracker.replay import replay
from tracker.settings import Settings

pytestmark = pytest.mark.usefixtures("store")


async def _activity(client: Any) -> dict[str, Any]:
    app = await create_app(client)
    campaign = await create_campaign(client)
    link = await create_smart_link(client, campaign["id"], app_id=app["id"])
    await call(client, "PATCH", f"/api/v1/apps/{app['id']}", json={"title": "Renamed"})
    await call(
        client,
        "POST",
        f"/api/v1/campaigns/{campaign['id']}/tariffs",
        json={"model": "cpc", "rate": "0.3", "currency": "USD", "starts_on": "2026-01-01"},
        expect=201,
    )
    return {"app": app, "campaign": campaign, "link": link}


async def test_replay_equals_the_live_views(client: Any, tracker: Tracker) -> None:
    with trio.fail_after(20):
        await _activity(client)
        tracker.update_views()
        report = replay(tracker)
        assert report.equal, report.summary()
        catalog = next(v for v in report.views if v.name == "catalog")
        assert catalog.position == tracker.views.position("catalog") > 0
        assert catalog.rows > 5
        assert "replay equals the live projections" in report.summary()


async def test_replay_names_the_first_corrupted_row(client: Any, tracker: Tracker) -> None:
    with trio.fail_after(20):
        made = await _activity(client)
        tracker.update_views()
        key = f"app/{made['app']['id']}"
        with tracker.views.transaction("catalog") as rows:
            app = rows.get(key)
            app.title = "Tampered"
            rows.put(key, app)
        report = replay(tracker)
        assert not report.equal
        catalog = next(v for v in report.views if v.name == "catalog")
        assert catalog.difference is not None
        assert key in catalog.difference
        assert "Tampered" in catalog.difference
        assert "DIFFERS" in report.summary()


async def test_replay_notices_missing_and_extra_rows(client: Any, tracker: Tracker) -> None:
    with trio.fail_after(20):
        made = await _activity(client)
        tracker.update_views()
        with tracker.views.transaction("catalog") as rows:
            rows.delete(f"code/{made['link']['code']}")
        difference = next(v for v in replay(tracker).views if v.name == "catalog").difference
        assert difference is not None and made["link"]["code"] in difference
        assert "missing from the live view" in difference
        with tracker.views.transaction("catalog") as rows:
            rows.put(f"code/{made['link']['code']}", str(made["link"]["code"]))
            rows.put("zzz/extra", 1)
        report = replay(tracker)
        assert not report.equal


async def test_replay_compares_at_the_live_position(client: Any, tracker: Tracker) -> None:
    with trio.fail_after(20):
        await _activity(client)
        tracker.update_views()
        await create_app(client, title="Not yet projected")
        report = replay(tracker)
        assert report.equal, report.summary()


def _env(settings: Settings) -> dict[str, str]:
    env = {
        "TRACKER_DATA_DIR": settings.data_dir,
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_DATABASE_SCHEMA": settings.database_schema,
    }
    return env


async def test_the_replay_command_exits_0_when_equal_and_1_with_the_difference(
    client: Any,
    tracker: Tracker,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with trio.fail_after(30):
        made = await _activity(client)
        tracker.update_views()
        for key in [k for k in os.environ if k.startswith("TRACKER_")]:
            monkeypatch.delenv(key)
        for key, value in _env(settings).items():
            monkeypatch.setenv(key, value)
        assert main(["replay", "--quiet"]) == 0
        out = capsys.readouterr().out
        assert "catalog:" in out and "replay equals the live projections" in out
        key = f"app/{made['app']['id']}"
        with tracker.views.transaction("catalog") as rows:
            app = rows.get(key)
            app.platform = "ios"
            rows.put(key, app)
        assert main(["replay"]) == 1
        captured = capsys.readouterr()
        assert f"row '{key}'" in captured.out
        assert "replay DIFFERS" in captured.out


def test_replay_says_when_the_live_view_is_behind_the_stream(tracker: Tracker) -> None:
    def register(title: str) -> None:
        tracker.catalog_service.register_app(
            title=title, platform="web", store_url=None, bundle_id=None, attribution=None
        )

    register("Projected")
    tracker.update_views()
    assert "not in the live view yet" not in replay(tracker).summary()
    register("Not yet projected")
    report = replay(tracker)
    assert report.equal
    catalog = next(v for v in report.views if v.name == "catalog")
    assert catalog.behind_from == catalog.position + 1
    assert "not in the live view yet" in report.summary()


class CatalogTally(Projection):
    """A projection with tables: every catalog event, and a tally per event type."""

    name = "catalog_tally"
    application = "catalog"
    tables = (
        Table(
            "events",
            columns=(
                Column("aggregate_id", "text"),
                Column("version", "integer"),
                Column("at", "timestamp"),
                Column("weight", "decimal"),
                Column("topic", "blob"),
            ),
            primary_key=("aggregate_id", "version"),
            indexes=(("at",),),
        ),
        Table(
            "tally",
            columns=(Column("kind", "text"), Column("n", "integer"), Column("weight", "decimal")),
            primary_key=("kind",),
        ),
    )

    def apply(self, event: Any, rows: Rows) -> None:
        kind = type(event).__qualname__
        rows.table("events").insert(
            {
                "aggregate_id": str(event.originator_id),
                "version": event.originator_version,
                "at": event.timestamp,
                "weight": Decimal("0.1"),
                "topic": {"kind": kind, "version": event.originator_version},
            }
        )
        rows.table("tally").add({"kind": kind}, {"n": 1, "weight": Decimal("0.1")})


async def test_replay_compares_the_tables_of_a_view(client: Any, tracker: Tracker) -> None:
    with trio.fail_after(20):
        tracker.projections.append(CatalogTally())
        await _activity(client)
        tracker.update_views()
        report = replay(tracker)  # the live store may be PostgreSQL, the replay is SQLite
        assert report.equal, report.summary()
        tally = next(v for v in report.views if v.name == "catalog_tally")
        assert tally.position == tracker.views.position("catalog_tally") > 0
        assert tally.rows > tally.position  # an events row per event, and the tallies
        with tracker.views.transaction("catalog_tally") as rows:
            assert rows.table("tally").update({"kind": "App.Registered"}, {"n": 99}) == 1
        tally = next(v for v in replay(tracker).views if v.name == "catalog_tally")
        assert tally.difference is not None
        assert "App.Registered" in tally.difference and "n: live 99 != replay 1" in tally.difference
        with tracker.views.transaction("catalog_tally") as rows:
            rows.table("tally").update({"kind": "App.Registered"}, {"n": 1})
            rows.table("events").delete({"version": 1})
        tally = next(v for v in replay(tracker).views if v.name == "catalog_tally")
        assert tally.difference is not None and "missing from the live view" in tally.difference
