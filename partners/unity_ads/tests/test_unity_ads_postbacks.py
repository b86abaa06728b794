"""Unity Ads postbacks as a tracker with this package sends them: a click carrying Unity's one
``{ifa}`` under both ``mt_idfa`` and ``mt_gaid`` (the link mapping), an install, an in-app event,
and the requests the tracker builds from them with its own macro engine and template renderer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

import pytest
import tracker_partner_unity_ads as unity

from tracker.bootstrap import Tracker, bootstrap
from tracker.domain.ingest import ClickRecorded, SdkEventReceived
from tracker.settings import load_settings

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
GAID = "aaaa0000-8cf0-11bd-b23e-10b96e40000d"
IDFA = "6d92078a-8246-4ba4-ae5b-76104861e7dc"  # stored lowercased, as ingest stores ids
STORES = {
    "android": "https://play.google.com/store/apps/details?id=com.example.game",
    "ios": "https://apps.apple.com/app/id123456789",
}


@pytest.fixture
def tracker(tmp_path: Path):
    settings = load_settings({}, data_dir=str(tmp_path / "var"), public_url="http://t.test")
    # Without entry points: this package alone, whether pip installed it here or not.
    t = bootstrap(settings, clock=lambda: NOW, extra_plugins=[unity], load_entry_points=False)
    yield t
    t.close()


def _unity_link(tracker: Tracker, platform: str) -> tuple[str, str]:
    """An app of ``platform`` and a Unity campaign's link to it: (app id, link code)."""
    service = tracker.catalog_service
    app = service.register_app(
        title="Game", platform=platform, store_url=None, bundle_id=None, attribution=None
    )
    campaign = service.create_campaign(
        title="Unity", campaign_type="regular", traffic_type="media", partner_id=unity.PARTNER_ID
    )
    tracker.refresh_directory()
    link = service.create_link(
        str(campaign.id),
        app_id=str(app.id),
        attribution=None,
        title="Link",
        deep_link=None,
        deferred_deep_link=True,
        target_url=STORES[platform],
        targets=None,
    )
    tracker.refresh_directory()
    return str(app.id), link.code


def _click(tracker: Tracker, code: str, platform: str, ifa: str) -> None:
    link = tracker.catalog.link(code)
    click = ClickRecorded(
        originator_id=uuid4(),
        originator_version=1,
        timestamp=NOW - timedelta(minutes=5),
        link_code=code,
        campaign_id=link.campaign_id,
        partner_id=unity.PARTNER_ID,
        app_id=link.app_id,
        platform=platform,
        ip=None,
        ua=None,
        # The link mapping puts Unity's {ifa} under both names.
        device={"idfa": ifa, "gaid": ifa},
        subids={},
        cost=None,
        params={"gamer_id": "gamer-1"},
        malformed={},
        s2s=False,
        target_url=link.target_url,
        country=None,
    )
    ingest = tracker.stores.ingest
    ingest.recorder.insert_events([ingest.mapper.to_stored_event(click)])


def _sdk(tracker: Tracker, app_id: str, type_: str, **fields) -> None:
    event_id = str(uuid4())
    event = SdkEventReceived(
        originator_id=SdkEventReceived.id_for(app_id, event_id),
        originator_version=1,
        timestamp=NOW,
        app_id=app_id,
        event_id=event_id,
        type=type_,
        name=None,
        event_ts=NOW,
        device=fields.pop("device"),
        ip=None,
        ua=None,
        referrer=None,
        revenue=fields.pop("revenue", None),
        currency=fields.pop("currency", None),
        params={},
        source="sdk",
        country=None,
    )
    ingest = tracker.stores.ingest
    ingest.recorder.insert_events([ingest.mapper.to_stored_event(event)])
    tracker.attribution.refresh_touchpoints()
    tracker.attribution.handle(event)


def _sent(tracker: Tracker) -> dict[str, str]:
    """Event type -> the URL the tracker would send to Unity for it now."""
    postbacks = tracker.postbacks
    postbacks.plan(NOW)
    return {
        due.template.url: postbacks.request_for(due).url
        for due in postbacks.due(NOW, 10)
        if due.receiver == f"partner:{unity.PARTNER_ID}"
    }


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_an_android_install_sends_the_gaid_lowercase_not_as_an_idfa(tracker: Tracker) -> None:
    app_id, code = _unity_link(tracker, "android")
    _click(tracker, code, "android", GAID)
    _sdk(tracker, app_id, "install", device={"gaid": GAID, "instance_id": "i-1"})
    [url] = _sent(tracker).values()
    query = _query(url)
    assert query["advertisingTrackingId"] == [GAID]
    assert query["gamerId"] == ["gamer-1"]


def test_an_ios_install_and_purchase_send_the_idfa_uppercase_and_no_gaid(tracker: Tracker) -> None:
    app_id, code = _unity_link(tracker, "ios")
    _click(tracker, code, "ios", IDFA)
    device = {"idfa": IDFA, "instance_id": "i-2"}
    _sdk(tracker, app_id, "install", device=device)
    _sdk(tracker, app_id, "purchase", device=device, revenue=Decimal("4.99"), currency="EUR")
    sent = _sent(tracker)
    spec = unity.partner_spec()
    install = _query(sent[spec.postbacks["install"].url])
    assert install["advertisingTrackingId"] == [IDFA.upper()]
    purchase = _query(sent[spec.postbacks["purchase"].url])
    assert purchase["ifa"] == [IDFA.upper()]
    assert purchase["aid"] == [""]  # Unity's aid is the GAID: an iOS device has none
    assert (purchase["event"], purchase["value"]) == (["purchase"], ["4.99"])
