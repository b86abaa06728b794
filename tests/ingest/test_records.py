from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from uuid import UUID

import pytest
from eventsourcing.persistence import Notification

from tests.conftest import sqlite_ingest_app
from tracker.application import IngestApplication
from tracker.domain.ingest import ClickRecorded, ImpressionRecorded
from tracker.ingest.params import parse_touch
from tracker.ingest.records import IdFactory, TouchEncoder, touch_state

LINK = SimpleNamespace(code="a12345", campaign_id="camp-1", app_id="app-1")
TS = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _app(tmp_path, cipher: bool) -> IngestApplication:
    return sqlite_ingest_app(tmp_path / "i.db", cipher=cipher)


@pytest.mark.parametrize("cipher", [False, True])
@pytest.mark.parametrize("click", [True, False])
def test_stored_touch_restores_as_the_domain_event(tmp_path, cipher, click):
    app = _app(tmp_path, cipher)
    touch = parse_touch(
        b"mt_gaid=38400000-8cf0-11bd-b23e-10b96e40000d&mt_sub1=s&clickId=7"
        b"&mt_cost_model=CPC&mt_cost_value=0.10&mt_idfa=bad"
    )
    event_id = IdFactory()()
    state = touch_state(
        timestamp=TS,
        link=LINK,
        partner_id="p1",
        platform="android",
        ip="10.1.2.3",
        ua="UA",
        touch=touch,
        s2s=False,
        target_url="https://example.com/" if click else None,
        click=click,
        country="DE",
    )
    stored = TouchEncoder(app.mapper).stored(event_id, state, click=click)
    app.recorder.insert_events([stored])
    (n,) = app.recorder.select_notifications(start=1, limit=10)
    assert isinstance(n, Notification)
    event = app.mapper.to_domain_event(n)
    cls = ClickRecorded if click else ImpressionRecorded
    fields = dict(
        originator_id=event_id,
        originator_version=1,
        timestamp=TS,
        link_code="a12345",
        campaign_id="camp-1",
        partner_id="p1",
        app_id="app-1",
        platform="android",
        ip="10.1.2.3",
        ua="UA",
        device={"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"},
        subids={"sub1": "s"},
        cost={"model": "CPC", "value": Decimal("0.10"), "currency": "USD", "count": 1},
        params={"clickId": "7"},
        malformed={"mt_idfa": "not a UUID: 'bad'"},
        s2s=False,
        country="DE",
    )
    if click:
        fields["target_url"] = "https://example.com/"
    expected = cls(**fields)
    assert type(event) is cls
    assert event == expected
    # The same bytes the library's own mapper writes (without a cipher, which is randomised).
    if not cipher:
        assert app.mapper.to_stored_event(expected).state == stored.state
    app.close()


def test_a_touch_stored_before_the_country_field_reads_none(tmp_path):
    app = _app(tmp_path, cipher=False)
    state = touch_state(
        timestamp=TS,
        link=LINK,
        partner_id=None,
        platform=None,
        ip="8.8.8.8",
        ua=None,
        touch=parse_touch(b""),
        s2s=False,
        target_url="https://example.com/",
        click=True,
    )
    del state["country"]  # the shape written by earlier versions
    event_id = IdFactory()()
    app.recorder.insert_events([TouchEncoder(app.mapper).stored(event_id, state, click=True)])
    (n,) = app.recorder.select_notifications(start=1, limit=10)
    event = app.mapper.to_domain_event(n)
    assert event.country is None
    assert event.ip == "8.8.8.8"
    app.close()


def test_ids_are_unique_version4_uuids():
    a, b = IdFactory(), IdFactory()
    ids = {a() for _ in range(1000)} | {b() for _ in range(1000)}
    assert len(ids) == 2000
    sample = next(iter(ids))
    assert isinstance(sample, UUID)
    assert sample.version == 4
    assert sample.variant == "specified in RFC 4122"
