"""The catalog projection: latest state of every catalog aggregate plus lookup keys."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.application import CatalogApplication
from tracker.domain.catalog import (
    ApiToken,
    App,
    AttributionSettings,
    Campaign,
    Correction,
    Partner,
    PartnerSending,
    Postback,
    Tariff,
    TrackingLink,
    TrafficType,
)
from tracker.projections.catalog import Catalog, CatalogProjection
from tracker.stores import MemoryViewStore, SqliteViewStore, catch_up


@pytest.fixture
def app() -> CatalogApplication:
    return CatalogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def _history(app: CatalogApplication) -> dict[str, object]:
    game = App.register(
        title="Game",
        platform="ios",
        store_url="https://apps.apple.com/app/id1",
        bundle_id="com.game",
        sdk_key="sdk-1",
        attribution=AttributionSettings(click_window_hours=48),
    )
    partner = Partner.create(title="Net", utm_sources=["net"], macros={}, params={})
    push = TrafficType(name="push", title="Push")
    campaign = Campaign.create(
        title="Spring", campaign_type="regular", traffic_type="push", partner_id=str(partner.id)
    )
    campaign.add_tariff(
        Tariff.validated(
            id="t1", model="cpc", rate="0.2", currency="USD", starts_on=date(2026, 1, 1)
        )
    )
    link = TrackingLink.create(
        code="a12345",
        campaign_id=str(campaign.id),
        title="L",
        app_id=str(game.id),
        target_url="https://apps.apple.com/app/id1",
        targets=None,
        deep_link=None,
        deferred_deep_link=True,
        attribution=game.attribution_settings,
    )
    correction = Correction.create(
        campaign_id=str(campaign.id),
        app_id=str(game.id),
        amount="3",
        currency="USD",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 2),
        timezone="UTC",
        description="",
    )
    postback = Postback.configure(
        title="pb",
        event="install",
        event_name=None,
        partner_id=str(partner.id),
        campaign_id=None,
        app_id=None,
        mode="all",
        method="GET",
        url="https://net.example/{mt_gaid}",
        body=None,
    )
    token = ApiToken.issue(token_hash="abc", role="viewer", partner_id=None, label="")
    partner.set_sending("app1", {"install": "all"})
    adnet = PartnerSending(partner_id="adnet")
    adnet.set_sending("app1", {"purchase": "attributed"})
    app.save(game, partner, push, campaign, link, correction, postback, token, adnet)
    game.update(title="Game 2")
    push.archive()
    correction.delete()
    link.update(status="archived")
    app.save(game, push, correction, link)
    return {
        "app": game,
        "partner": partner,
        "campaign": campaign,
        "link": link,
        "correction": correction,
        "postback": postback,
    }


def test_reads_show_the_latest_state_and_lookups(app: CatalogApplication) -> None:
    made = _history(app)
    directory = MemoryViewStore()
    catch_up(app, CatalogProjection(), directory)
    catalog = Catalog(directory.rows("catalog"))
    game = catalog.app(str(made["app"].id))  # type: ignore[attr-defined]
    assert game.title == "Game 2"
    assert catalog.app_by_sdk_key("sdk-1") is not None
    assert catalog.app_by_sdk_key("sdk-1").id == game.id
    assert catalog.app_by_sdk_key("nope") is None
    assert [c.title for c in catalog.campaigns()] == ["Spring"]
    assert catalog.campaigns()[0].tariffs[0]["id"] == "t1"
    assert catalog.link("a12345").status == "archived"
    assert catalog.link("a12345").attribution["click_window_hours"] == 48
    assert catalog.traffic_type_by_name("push").archived
    assert catalog.correction(str(made["correction"].id)).deleted  # type: ignore[attr-defined]
    assert catalog.postback(str(made["postback"].id)).mode == "all"  # type: ignore[attr-defined]
    assert catalog.token("abc").role == "viewer"
    assert catalog.token("zzz") is None
    assert [p.title for p in catalog.partners()] == ["Net"]
    assert len(catalog.apps()) == len(catalog.links()) == len(catalog.corrections()) == 1
    assert len(catalog.postbacks()) == len(catalog.traffic_types()) == 1
    assert catalog.app("not-an-id") is None
    assert catalog.sending(str(made["partner"].id)) == {"app1": {"install": "all"}}  # type: ignore[attr-defined]
    assert catalog.sending("adnet") == {"app1": {"purchase": "attributed"}}
    assert catalog.sending("organic") == {}


def test_persisted_view_reads_the_same_as_the_memory_one(app: CatalogApplication, tmp_path) -> None:
    _history(app)
    directory = MemoryViewStore()
    persisted = SqliteViewStore(tmp_path / "views.sqlite")
    try:
        catch_up(app, CatalogProjection(), directory)
        catch_up(app, CatalogProjection(), persisted, batch=3)
        assert list(persisted.dump("catalog")) == list(directory.dump("catalog"))
        with persisted.transaction("catalog") as rows:
            via_sql = Catalog(rows)
            assert via_sql.link("a12345").title == "L"
            assert via_sql.apps()[0].title == "Game 2"
    finally:
        persisted.close()


def test_drop_and_replay_gives_the_same_view(app: CatalogApplication, tmp_path) -> None:
    _history(app)
    views = SqliteViewStore(tmp_path / "views.sqlite")
    try:
        position = catch_up(app, CatalogProjection(), views)
        before = list(views.dump("catalog"))
        assert position == views.position("catalog") > 0
        views.drop("catalog")
        assert list(views.dump("catalog")) == []
        catch_up(app, CatalogProjection(), views, batch=1)
        assert list(views.dump("catalog")) == before
    finally:
        views.close()


def test_an_event_of_another_stream_is_refused() -> None:
    class Foreign:
        originator_topic = "somewhere:Else"

    with pytest.raises(ValueError, match="not a catalog event"):
        CatalogProjection().apply(Foreign(), MemoryViewStore().rows("catalog"))
