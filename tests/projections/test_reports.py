"""The touch counters read their events as facts: decoded straight from the stored state, or
copied from the domain events where the store ciphers its states; both count the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.conftest import sqlite_ingest_app
from tracker.application import IngestApplication
from tracker.domain.ingest import ClickRecorded, ImpressionRecorded
from tracker.projections.reports import ClickFacts, ImpressionFacts, TouchCountsProjection
from tracker.stores import MemoryViewStore, catch_up

TS = datetime(2026, 11, 1, 12, 7, 30, tzinfo=UTC)


def _app(tmp_path, cipher: bool) -> IngestApplication:
    return sqlite_ingest_app(tmp_path / "i.db", cipher=cipher)


def _touch(cls, i: int, **extra):
    fields = dict(
        originator_id=uuid.uuid4(),
        originator_version=1,
        timestamp=TS,
        link_code="a12345",
        campaign_id="camp-1",
        partner_id=None,
        app_id="app-1",
        platform="android",
        ip=None,
        ua=None,
        device={},
        subids={"sub1": f"s{i % 2}"},
        cost=None,
        params={},
        malformed={},
        s2s=False,
        country="DE",
    )
    fields.update(extra)
    if cls is ClickRecorded:
        fields.setdefault("target_url", None)
    return cls(**fields)


class Seen(TouchCountsProjection):
    """The touch counters, keeping what ``apply_all`` was given."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list = []

    def apply_all(self, events, rows) -> None:
        self.given += events
        super().apply_all(events, rows)


@pytest.mark.parametrize("cipher", [False, True])
def test_touches_reach_the_counters_as_facts_and_are_counted(tmp_path, cipher) -> None:
    app = _app(tmp_path, cipher)
    cpc = {"model": "CPC", "value": Decimal("0.25"), "currency": "EUR", "count": 1}
    events = [_touch(ImpressionRecorded, i) for i in range(3)]
    events += [_touch(ClickRecorded, 0, cost=cpc), _touch(ClickRecorded, 1, cost=cpc)]
    app.recorder.insert_events([app.mapper.to_stored_event(e) for e in events])
    views = MemoryViewStore()
    projection = Seen()
    assert catch_up(app, projection, views, batch=2) == 5
    assert [type(f) for f in projection.given] == [ImpressionFacts] * 3 + [ClickFacts] * 2
    assert projection.given[3].cost == cpc
    assert projection.given[0].timestamp == TS
    with views.read(projection.name) as view:
        rows = view.table("touch_counts").select(order_by=("sub1", "cost_model"))
    assert [
        (r["sub1"], r["cost_model"], r["impressions"], r["clicks"], r["link_cost"]) for r in rows
    ] == [
        ("s0", "", 2, 0, Decimal(0)),
        ("s0", "CPC", 0, 1, Decimal("0.25")),
        ("s1", "", 1, 0, Decimal(0)),
        ("s1", "CPC", 0, 1, Decimal("0.25")),
    ]
    assert {r["bucket"] for r in rows} == {datetime(2026, 11, 1, 12, 0, tzinfo=UTC)}
    with views.read(projection.name) as view:
        days = view.table("touch_days").select(order_by=("cost_model",))
    assert [
        (d["day"], d["cost_model"], d["impressions"], d["clicks"], d["link_cost"]) for d in days
    ] == [("2026-11-01", "", 3, 0, Decimal(0)), ("2026-11-01", "CPC", 0, 2, Decimal("0.50"))]
    app.close()


def test_each_dimension_lands_in_its_own_column(tmp_path) -> None:
    app = _app(tmp_path, cipher=False)
    subids = {f"sub{i}": f"v{i}" for i in range(1, 6)}
    cpm = {"model": "CPM", "value": Decimal("2.5"), "currency": "USD", "count": 1}
    event = _touch(ImpressionRecorded, 0, subids=subids, partner_id="p-1", cost=cpm)
    app.recorder.insert_events([app.mapper.to_stored_event(event)])
    views = MemoryViewStore()
    projection = TouchCountsProjection()
    catch_up(app, projection, views)
    with views.read(projection.name) as view:
        (row,) = view.table("touch_counts").select()
    assert row == {
        "bucket": datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        "app_id": "app-1",
        "campaign_id": "camp-1",
        "partner_id": "p-1",
        "link_code": "a12345",
        "country": "DE",
        "platform": "android",
        **subids,
        "cost_model": "CPM",
        "cost_currency": "USD",
        "impressions": 1,
        "clicks": 0,
        "link_cost": Decimal("2.5"),
    }
    app.close()
