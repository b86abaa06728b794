"""Catalog aggregates: their rules, and what their events leave behind."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tracker.application import CatalogApplication
from tracker.domain.catalog import (
    STANDARD_TRAFFIC_TYPES,
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
from tracker.domain.errors import Conflict, DomainError, NotFound
from tracker.projections.catalog import Catalog, CatalogProjection
from tracker.services.catalog import CatalogService
from tracker.stores import MemoryViewStore, catch_up

# helpers


def make_app(**overrides: Any) -> App:
    fields: dict[str, Any] = {
        "title": "Game",
        "platform": "android",
        "store_url": "https://play.google.com/store/apps/details?id=com.game",
        "bundle_id": "com.game",
        "sdk_key": "sdk-key",
        "attribution": AttributionSettings(),
    }
    return App.register(**(fields | overrides))


def make_link(**overrides: Any) -> TrackingLink:
    fields: dict[str, Any] = {
        "code": "a12345",
        "campaign_id": "c",
        "title": "Link",
        "app_id": "app",
        "target_url": "https://play.google.com/store/apps/details?id=com.game",
        "targets": None,
        "deep_link": None,
        "deferred_deep_link": True,
        "attribution": AttributionSettings(),
    }
    return TrackingLink.create(**(fields | overrides))


def make_tariff(**overrides: Any) -> Tariff:
    fields: dict[str, Any] = {
        "id": "t1",
        "model": "cpc",
        "rate": "0.10",
        "currency": "USD",
        "starts_on": date(2026, 1, 1),
    }
    return Tariff.validated(**(fields | overrides))


def make_correction(**overrides: Any) -> Correction:
    fields: dict[str, Any] = {
        "campaign_id": "c",
        "app_id": "a",
        "amount": "-12.50",
        "currency": "EUR",
        "starts_on": date(2026, 3, 1),
        "ends_on": date(2026, 3, 31),
        "timezone": "Europe/Berlin",
        "description": "refund",
    }
    return Correction.create(**(fields | overrides))


def make_postback(**overrides: Any) -> Postback:
    fields: dict[str, Any] = {
        "title": "Installs",
        "event": "install",
        "event_name": None,
        "partner_id": None,
        "campaign_id": None,
        "app_id": None,
        "mode": "attributed",
        "method": "GET",
        "url": "https://partner.example/pb?gaid={mt_gaid}&click={clickId}",
        "body": None,
    }
    return Postback.configure(**(fields | overrides))


def field_of(excinfo: pytest.ExceptionInfo[DomainError]) -> str:
    return excinfo.value.field


# attribution settings: window ranges


WINDOWS = [
    ("click_window_hours", 1, 720),
    ("view_window_hours", 1, 168),
    ("fingerprint_window_hours", 1, 24),
    ("inactivity_window_days", 1, 365),
]


def test_attribution_defaults_follow_the_product() -> None:
    assert AttributionSettings().to_dict() == {
        "click_window_hours": 168,
        "view_window_hours": 24,
        "fingerprint_window_hours": 24,
        "inactivity_window_days": 30,
        "reattribute_to_organic": True,
    }


@pytest.mark.parametrize(("name", "low", "high"), WINDOWS)
def test_windows_accept_their_bounds(name: str, low: int, high: int) -> None:
    assert AttributionSettings().merged({name: low}).to_dict()[name] == low
    assert AttributionSettings().merged({name: high}).to_dict()[name] == high


@pytest.mark.parametrize(("name", "low", "high"), WINDOWS)
def test_windows_refuse_values_outside_their_bounds(name: str, low: int, high: int) -> None:
    for value in (low - 1, high + 1):
        with pytest.raises(DomainError) as err:
            AttributionSettings().merged({name: value})
        assert field_of(err) == f"attribution.{name}"


def test_click_window_at_0_1_720_721() -> None:
    results = {}
    for hours in (0, 1, 720, 721):
        try:
            AttributionSettings().merged({"click_window_hours": hours})
            results[hours] = "ok"
        except DomainError:
            results[hours] = "refused"
    assert results == {0: "refused", 1: "ok", 720: "ok", 721: "refused"}


def test_an_app_with_windows_out_of_range_is_not_registered() -> None:
    with pytest.raises(DomainError) as err:
        make_app(attribution=AttributionSettings(view_window_hours=169))
    assert field_of(err) == "attribution.view_window_hours"


# apps


def test_an_app_records_one_registered_event() -> None:
    app = make_app()
    events = app.collect_events()
    assert [type(e).__name__ for e in events] == ["Registered"]
    assert app.attribution == AttributionSettings().to_dict()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"platform": "windows"}, "platform"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"store_url": "ftp://store.example/app"}, "store_url"),
    ],
)
def test_bad_apps_are_refused(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as err:
        make_app(**overrides)
    assert field_of(err) == field


def test_app_update_records_only_real_changes() -> None:
    app = make_app()
    app.collect_events()
    app.update()
    assert app.collect_events() == []
    app.update(title="Game 2", attribution={"click_window_hours": 24})
    assert [type(e).__name__ for e in app.collect_events()] == ["Updated"]
    assert app.title == "Game 2"
    assert app.attribution["click_window_hours"] == 24
    assert app.attribution["view_window_hours"] == 24


def test_app_update_validates_before_recording() -> None:
    app = make_app()
    app.collect_events()
    with pytest.raises(DomainError) as err:
        app.update(title="New", attribution={"click_window_hours": 721})
    assert field_of(err) == "attribution.click_window_hours"
    assert app.title == "Game"
    assert app.collect_events() == []


def test_traffic_redirection_is_set_and_cleared() -> None:
    app = make_app()
    app.set_redirect("https://example.com/landing")
    assert app.redirect_url == "https://example.com/landing"
    app.set_redirect(None)
    assert app.redirect_url is None
    with pytest.raises(DomainError) as err:
        app.set_redirect("mailto:x@example.com")
    assert field_of(err) == "redirect_url"


# links


def test_a_regular_link_needs_an_app_and_an_http_target() -> None:
    with pytest.raises(DomainError) as err:
        make_link(app_id=None)
    assert field_of(err) == "app_id"
    with pytest.raises(DomainError) as err:
        make_link(target_url=None)
    assert field_of(err) == "target_url"
    with pytest.raises(DomainError) as err:
        make_link(target_url="javascript:alert(1)")
    assert field_of(err) == "target_url"


def test_a_smart_link_needs_a_fallback() -> None:
    with pytest.raises(DomainError) as err:
        make_link(target_url=None, targets={"android": "https://play.google.com/x"})
    assert field_of(err) == "targets.fallback"


def test_a_smart_link_refuses_unknown_platforms_and_bad_urls() -> None:
    with pytest.raises(DomainError) as err:
        make_link(target_url=None, targets={"fallback": "https://x.example", "tv": "https://y"})
    assert field_of(err) == "targets.tv"
    with pytest.raises(DomainError) as err:
        make_link(target_url=None, targets={"fallback": "https://x.example", "ios": "itms://y"})
    assert field_of(err) == "targets.ios"


def test_a_smart_link_has_targets_not_a_target_url() -> None:
    with pytest.raises(DomainError) as err:
        make_link(targets={"fallback": "https://x.example"})
    assert field_of(err) == "target_url"


def test_a_smart_link_is_smart() -> None:
    link = make_link(
        target_url=None,
        app_id=None,
        targets={"fallback": "https://x.example", "ios": "https://apps.apple.com/app/id1"},
    )
    assert link.kind == "smart"
    assert link.targets == {
        "fallback": "https://x.example",
        "ios": "https://apps.apple.com/app/id1",
    }


def test_link_ids_follow_their_codes() -> None:
    assert make_link(code="b00001").id == TrackingLink.create_id("b00001")
    assert TrackingLink.create_id("b00001") != TrackingLink.create_id("b00002")


def test_a_link_keeps_its_attribution_when_the_app_defaults_change() -> None:
    app = make_app(attribution=AttributionSettings(click_window_hours=48))
    link = make_link(attribution=app.attribution_settings)
    app.update(attribution={"click_window_hours": 2, "view_window_hours": 1})
    assert app.attribution["click_window_hours"] == 2
    assert link.attribution["click_window_hours"] == 48
    assert link.attribution["view_window_hours"] == 24
    # No command changes a link's attribution at all.
    with pytest.raises(TypeError):
        link.update(attribution={"click_window_hours": 1})  # type: ignore[call-arg]
    assert link.attribution["click_window_hours"] == 48


def test_a_link_update_with_no_change_records_nothing() -> None:
    link = make_link()
    link.collect_events()
    link.update(title="Link", status=None)
    assert link.collect_events() == []


def test_an_app_update_records_only_what_changes() -> None:
    app = make_app()
    app.collect_events()
    app.update(title=app.title, attribution={"click_window_hours": 168})
    assert app.collect_events() == []
    app.update(title="Renamed", bundle_id=app.bundle_id)
    [updated] = app.collect_events()
    assert updated.changes == {"title": "Renamed"}


def test_an_empty_deep_link_removes_it() -> None:
    link = make_link(deep_link="myapp://level/1")
    link.update(deep_link="")
    assert link.deep_link is None


def test_a_smart_link_has_no_target_url_to_change() -> None:
    link = make_link(target_url=None, targets={"fallback": "https://x.example"})
    with pytest.raises(DomainError) as err:
        link.update(target_url="https://y.example")
    assert field_of(err) == "target_url"


# partners


def test_a_custom_partner_needs_a_utm_source() -> None:
    with pytest.raises(DomainError) as err:
        Partner.create(title="Net", utm_sources=["  ", ""], macros={}, params={})
    assert field_of(err) == "utm_sources"


def test_sending_modes_per_app_and_event_merge() -> None:
    partner = Partner.create(title="Net", utm_sources=["net"], macros={}, params={})
    partner.set_sending("app1", {"install": "all"})
    partner.set_sending("app1", {"purchase": "attributed"})
    partner.set_sending("app2", {"install": "off"})
    assert partner.sending == {
        "app1": {"install": "all", "purchase": "attributed"},
        "app2": {"install": "off"},
    }


def test_sending_modes_that_change_nothing_record_nothing() -> None:
    partner = Partner.create(title="Net", utm_sources=["net"], macros={}, params={})
    partner.set_sending("app1", {"install": "all"})
    partner.collect_events()
    partner.set_sending("app1", {"install": "all"})
    partner.set_sending("app1", {})
    assert partner.collect_events() == []


def test_partners_from_plugins_keep_sending_modes_by_partner_id() -> None:
    settings = PartnerSending(partner_id="adnet")
    assert settings.id == PartnerSending.create_id("adnet") != PartnerSending.create_id("other")
    settings.set_sending("app1", {"install": "attributed"})
    settings.set_sending("app1", {"install": "attributed"})
    assert [type(e).__name__ for e in settings.collect_events()] == [
        "Created",
        "SendingModesSet",
    ]
    with pytest.raises(DomainError) as err:
        settings.set_sending("app1", {"install": "never"})
    assert field_of(err) == "install"


@pytest.mark.parametrize(
    ("modes", "field"), [({"install": "sometimes"}, "install"), ({"sale": "all"}, "sale")]
)
def test_bad_sending_modes_are_refused(modes: dict[str, str], field: str) -> None:
    partner = Partner.create(title="Net", utm_sources=["net"], macros={}, params={})
    with pytest.raises(DomainError) as err:
        partner.set_sending("app1", modes)
    assert field_of(err) == field


# campaigns and tariffs


def test_a_campaign_starts_active_and_validates_its_type_and_status() -> None:
    campaign = Campaign.create(
        title="Spring", campaign_type="regular", traffic_type="media", partner_id=None
    )
    assert campaign.status == "active"
    with pytest.raises(DomainError) as err:
        Campaign.create(title="x", campaign_type="cpi", traffic_type="media", partner_id=None)
    assert field_of(err) == "campaign_type"
    with pytest.raises(DomainError) as err:
        campaign.update(status="deleted")
    assert field_of(err) == "status"
    campaign.update(status="paused")
    assert campaign.status == "paused"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"model": "cpx"}, "model"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "XXQ"}, "currency"),
        ({"ends_on": date(2025, 12, 31)}, "ends_on"),
        ({"model": "cpa", "target": None}, "target"),
        ({"model": "cpa", "target": "click"}, "target"),
        ({"model": "cpa", "target": "custom_event", "event_name": None}, "event_name"),
        ({"model": "cpc", "rate": None}, "rate"),
        ({"model": "cpm", "rate": "-0.01"}, "rate"),
        ({"model": "revshare", "rate": None, "percent": None}, "percent"),
        ({"model": "revshare", "rate": None, "percent": "100.01"}, "percent"),
        ({"rate": "1000000000000"}, "rate"),
        ({"starts_on": date(1969, 12, 31), "ends_on": None}, "starts_on"),
        ({"ends_on": date(9999, 12, 31)}, "ends_on"),
    ],
)
def test_bad_tariffs_are_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as err:
        make_tariff(**fields)
    assert field_of(err) == field


def test_each_tariff_model_keeps_only_its_fields() -> None:
    cpa = make_tariff(model="cpa", target="custom_event", event_name="level_10", rate="2")
    assert (cpa.target, cpa.event_name, cpa.rate, cpa.percent) == (
        "custom_event",
        "level_10",
        Decimal(2),
        None,
    )
    cpm = make_tariff(model="cpm", rate="1.25", target="install", event_name="x")
    assert (cpm.target, cpm.event_name, cpm.rate) == (None, None, Decimal("1.25"))
    install = make_tariff(model="cpa", target="install", event_name="x", rate="1")
    assert install.event_name is None
    revshare = make_tariff(model="revshare", rate="9", percent="30")
    assert (revshare.rate, revshare.percent) == (None, Decimal(30))
    other = make_tariff(model="other", rate=None)
    assert (other.rate, other.percent, other.target) == (None, None, None)


def test_an_event_name_does_not_let_a_second_install_tariff_overlap() -> None:
    campaign = Campaign.create(
        title="Spring", campaign_type="regular", traffic_type="media", partner_id=None
    )
    campaign.add_tariff(make_tariff(id="t1", model="cpa", target="install", rate="1.50"))
    with pytest.raises(Conflict):
        campaign.add_tariff(
            make_tariff(id="t2", model="cpa", target="install", event_name="zzz", rate="100")
        )


def test_a_tariff_may_end_on_its_start_day() -> None:
    tariff = make_tariff(ends_on=date(2026, 1, 1))
    assert tariff.ends_on == tariff.starts_on


def test_tariffs_are_added_to_the_campaign_in_order() -> None:
    campaign = Campaign.create(
        title="Spring", campaign_type="regular", traffic_type="media", partner_id=None
    )
    campaign.add_tariff(make_tariff(id="t1"))
    campaign.add_tariff(make_tariff(id="t2", model="other", rate=None))
    assert [t["id"] for t in campaign.tariffs] == ["t1", "t2"]
    assert campaign.tariffs[0]["rate"] == Decimal("0.10")


# corrections


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "ten"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"currency": "usd"}, "currency"),
        ({"ends_on": date(2026, 2, 28)}, "ends_on"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"timezone": "+03:00"}, "timezone"),
        ({"amount": "-1000000000000"}, "amount"),
        ({"ends_on": date(9999, 12, 31)}, "ends_on"),
    ],
)
def test_bad_corrections_are_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as err:
        make_correction(**fields)
    assert field_of(err) == field


def test_a_correction_may_be_negative_and_one_day_long() -> None:
    correction = make_correction(amount="-3.30", ends_on=date(2026, 3, 1))
    assert correction.amount == Decimal("-3.30")


def test_a_correction_is_deleted_once() -> None:
    correction = make_correction()
    correction.delete()
    assert correction.deleted
    with pytest.raises(DomainError) as err:
        correction.delete()
    assert field_of(err) == "correction_id"


# postbacks


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"event": "click"}, "event"),
        ({"event": "custom"}, "event_name"),
        ({"mode": "off"}, "mode"),
        ({"method": "PUT"}, "method"),
        ({"url": "gopher://x/{mt_gaid}"}, "url"),
        ({"body": "gaid={mt_gaid}"}, "body"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_postbacks_are_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as err:
        make_postback(**fields)
    assert field_of(err) == field


def test_a_postback_url_may_have_macros_in_its_host() -> None:
    postback = make_postback(url="https://{partner_host}/pb?id={mt_postback_id}")
    assert postback.url.startswith("https://{partner_host}")


def test_a_post_postback_carries_a_body_and_a_get_one_cannot_gain_one() -> None:
    post = make_postback(method="POST", body='{"gaid": "{mt_gaid}"}')
    post.update(body="{}")
    assert post.body == "{}"
    get = make_postback()
    with pytest.raises(DomainError) as err:
        get.update(body="x=1")
    assert field_of(err) == "body"


# tokens


def test_tokens_have_a_role_and_partner_tokens_name_their_partner() -> None:
    with pytest.raises(DomainError) as err:
        ApiToken.issue(token_hash="h", role="root", partner_id=None, label="")
    assert field_of(err) == "role"
    with pytest.raises(DomainError) as err:
        ApiToken.issue(token_hash="h", role="partner", partner_id=None, label="")
    assert field_of(err) == "partner_id"
    viewer = ApiToken.issue(token_hash="h", role="viewer", partner_id="p", label="")
    assert viewer.partner_id is None
    assert viewer.id == ApiToken.create_id("h")


# through the store: the history keeps everything


class Harness:
    """A catalog service on the in-memory store, with its directory refreshed after each
    command as the web layer does."""

    def __init__(self) -> None:
        self.app = CatalogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.directory = MemoryViewStore()
        self.catalog = Catalog(self.directory.rows("catalog"))
        self.service = CatalogService(self.app, self.catalog, {})

    def __call__(self, command: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.service, command)(*args, **kwargs)
        catch_up(self.app, CatalogProjection(), self.directory)
        return result

    def topics(self, originator_id: Any) -> list[str]:
        return [
            n.topic.rpartition(":")[2]
            for n in self.app.recorder.select_notifications(start=1, limit=1000)
            if n.originator_id == originator_id
        ]


@pytest.fixture
def harness() -> Harness:
    return Harness()


def test_a_deleted_correction_keeps_its_history(harness: Harness) -> None:
    app = harness("register_app", title="Game", platform="ios", store_url=None, bundle_id=None,
                  attribution=None)  # fmt: skip
    campaign = harness(
        "create_campaign", title="C", campaign_type="regular", traffic_type="media",
        partner_id=None,
    )  # fmt: skip
    correction = harness(
        "create_correction", str(campaign.id), app_id=str(app.id), amount="5", currency="USD",
        starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 1), timezone="UTC", description="",
    )  # fmt: skip
    harness("delete_correction", str(correction.id))
    assert harness.topics(correction.id) == ["Correction.Created", "Correction.Deleted"]
    stored = harness.app.repository.get(correction.id)
    assert stored.deleted and stored.amount == Decimal(5)
    assert harness.catalog.correction(str(correction.id)).deleted
    with pytest.raises(NotFound) as err:
        harness("delete_correction", str(correction.id))
    assert field_of(err) == "correction_id"


def test_an_archived_traffic_type_serves_no_new_campaign(harness: Harness) -> None:
    harness("add_traffic_type", name="Push", title="Push notifications")
    harness("create_campaign", title="Before", campaign_type="regular", traffic_type="push",
            partner_id=None)  # fmt: skip
    harness("archive_traffic_type", "push")
    with pytest.raises(DomainError) as err:
        harness("create_campaign", title="After", campaign_type="regular",
                traffic_type="push", partner_id=None)  # fmt: skip
    assert field_of(err) == "traffic_type"
    assert harness.catalog.traffic_type_by_name("push").archived
    assert [c.title for c in harness.catalog.campaigns()] == ["Before"]


def test_traffic_types_are_unique_and_standard_ones_are_fixed(harness: Harness) -> None:
    assert {"media", "search", "social", "incentive", "email", "preinstall"} <= set(
        STANDARD_TRAFFIC_TYPES
    )
    harness("add_traffic_type", name="push", title=None)
    with pytest.raises(Conflict):
        harness("add_traffic_type", name="PUSH", title=None)
    with pytest.raises(Conflict):
        harness("add_traffic_type", name="media", title=None)
    with pytest.raises(DomainError) as err:
        harness("add_traffic_type", name="no spaces", title=None)
    assert field_of(err) == "name"
    with pytest.raises(DomainError):
        harness("archive_traffic_type", "media")
    traffic_type = harness.app.repository.get(TrafficType.create_id("push"))
    assert traffic_type.title == "push"


def test_a_link_created_after_the_app_changed_takes_the_new_defaults(harness: Harness) -> None:
    app = harness("register_app", title="Game", platform="android", store_url=None,
                  bundle_id=None, attribution={"click_window_hours": 72})  # fmt: skip
    campaign = harness("create_campaign", title="C", campaign_type="regular",
                       traffic_type="media", partner_id=None)  # fmt: skip
    link_fields = {"title": "L", "target_url": "https://example.com", "targets": None,
                   "deep_link": None, "deferred_deep_link": True}  # fmt: skip
    old = harness("create_link", str(campaign.id), app_id=str(app.id), attribution=None,
                  **link_fields)  # fmt: skip
    harness("update_app", str(app.id), attribution={"click_window_hours": 12})
    new = harness("create_link", str(campaign.id), app_id=str(app.id),
                  attribution={"view_window_hours": 2}, **link_fields)  # fmt: skip
    assert harness.catalog.link(old.code).attribution["click_window_hours"] == 72
    assert harness.catalog.link(new.code).attribution["click_window_hours"] == 12
    assert harness.catalog.link(new.code).attribution["view_window_hours"] == 2
    assert harness.app.repository.get(old.id).attribution["click_window_hours"] == 72


def test_link_codes_look_like_a12345(harness: Harness) -> None:
    import re

    from tracker.services.catalog import new_link_code

    codes = {new_link_code() for _ in range(200)}
    assert all(re.fullmatch(r"[a-z]\d{5}", code) for code in codes)
    assert len(codes) > 150


def test_a_taken_link_code_is_not_reused(harness: Harness) -> None:
    codes = iter(["a00001", "a00001", "a00002"])
    harness.service._new_code = lambda: next(codes)
    campaign = harness("create_campaign", title="C", campaign_type="regular",
                       traffic_type="media", partner_id=None)  # fmt: skip
    fields = {"title": "L", "app_id": None, "target_url": None, "deep_link": None,
              "targets": {"fallback": "https://example.com"}, "deferred_deep_link": True,
              "attribution": None}  # fmt: skip
    first = harness("create_link", str(campaign.id), **fields)
    second = harness("create_link", str(campaign.id), **fields)
    assert (first.code, second.code) == ("a00001", "a00002")


def test_no_link_on_an_archived_campaign(harness: Harness) -> None:
    campaign = harness("create_campaign", title="C", campaign_type="regular",
                       traffic_type="media", partner_id=None)  # fmt: skip
    harness("update_campaign", str(campaign.id), status="archived")
    with pytest.raises(DomainError) as err:
        harness("create_link", str(campaign.id), title="L", app_id=None, target_url=None,
                targets={"fallback": "https://example.com"}, deep_link=None,
                deferred_deep_link=True, attribution=None)  # fmt: skip
    assert field_of(err) == "campaign_id"
