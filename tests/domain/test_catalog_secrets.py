"""Postback signing secrets and per-app partner settings: the aggregates' rules, what their
events leave behind, and the catalog reads the postback sender uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.domain.test_catalog import field_of, make_postback
from tracker import PartnerSpec
from tracker.application import CatalogApplication
from tracker.codec import MsgpackTranscoder
from tracker.domain.catalog import Partner, PartnerSending, Postback
from tracker.domain.errors import DomainError, NotFound
from tracker.projections.catalog import Catalog, CatalogProjection
from tracker.services.catalog import CatalogService
from tracker.stores import MemoryViewStore, SqliteViewStore, catch_up

ADNET = PartnerSpec(id="adnet", title="AdNet", settings=("access_token", "app_id"))
SYSTEM = PartnerSpec(id="organic", title="Organic", kind="system")


def names(aggregate: Any) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


def replayed(events: list[Any]) -> Any:
    aggregate = None
    for e in events:
        aggregate = e.mutate(aggregate)
    return aggregate


def make_partner() -> Partner:
    return Partner.create(title="Net", utm_sources=["net"], macros={}, params={})


# postback secrets


def test_a_postback_is_unsigned_until_a_secret_is_set() -> None:
    postback = make_postback()
    assert postback.secret is None
    assert "secret" not in vars(postback)  # its view row is what it was before secrets
    postback.set_secret("s" * 16)
    postback.set_secret("s" * 16)
    assert postback.secret == "s" * 16
    postback.set_secret("t" * 20)
    postback.remove_secret()
    postback.remove_secret()
    assert postback.secret is None
    events = postback.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Configured",
        "SecretSet",
        "SecretSet",
        "SecretRemoved",
    ]
    assert events[2].secret == "t" * 20
    again = replayed(events)
    assert again.secret is None and again.version == 4
    assert replayed(events[:3]).secret == "t" * 20


@pytest.mark.parametrize("length", [16, 17, 255, 256])
def test_secrets_of_16_to_256_characters_are_taken(length: int) -> None:
    postback = make_postback()
    postback.set_secret("x" * length)
    assert postback.secret == "x" * length


@pytest.mark.parametrize("secret", ["", "x" * 15, "x" * 257, None, 12345678901234567])
def test_other_secrets_are_refused_naming_the_field(secret: Any) -> None:
    postback = make_postback()
    postback.collect_events()
    with pytest.raises(DomainError) as err:
        postback.set_secret(secret)
    assert field_of(err) == "secret"
    assert postback.collect_events() == []


def test_secret_events_say_which_fields_the_history_hides() -> None:
    assert Postback.SecretSet.hidden_fields == ("secret",)
    assert Partner.SettingsSet.hidden_fields == ("settings",)
    assert PartnerSending.SettingsSet.hidden_fields == ("settings",)


# partner settings


def test_custom_partner_settings_per_app_merge_and_null_removes() -> None:
    partner = make_partner()
    partner.set_settings("app1", {"token": "abc", "account": "42"})
    partner.set_settings("app1", {"account": "43"})
    partner.set_settings("app2", {"token": "xyz"})
    assert partner.settings == {"app1": {"token": "abc", "account": "43"}, "app2": {"token": "xyz"}}
    partner.set_settings("app1", {"token": None})
    partner.set_settings("app2", {"token": None})
    assert partner.settings == {"app1": {"account": "43"}}
    events = partner.collect_events()
    assert [type(e).__name__ for e in events] == ["Created"] + ["SettingsSet"] * 5
    assert events[2].settings == {"account": "43"}  # only what changes is recorded
    assert events[4].settings == {"token": None}
    assert replayed(events).settings == partner.settings


def test_settings_that_change_nothing_record_nothing() -> None:
    partner = make_partner()
    partner.set_settings("app1", {"token": "abc"})
    partner.collect_events()
    partner.set_settings("app1", {"token": "abc"})
    partner.set_settings("app1", {"other": None})
    partner.set_settings("app2", {})
    assert partner.collect_events() == []
    assert partner.settings == {"app1": {"token": "abc"}}


@pytest.mark.parametrize("name", ["a", "access_token", "x9", "a" * 64])
def test_a_custom_partner_takes_any_well_formed_name(name: str) -> None:
    partner = make_partner()
    partner.set_settings("app1", {name: "v"})
    assert partner.settings == {"app1": {name: "v"}}


@pytest.mark.parametrize("name", ["", "Token", "1token", "_token", "to-ken", "to ken", "a" * 65])
def test_bad_setting_names_are_refused_naming_the_setting(name: str) -> None:
    partner = make_partner()
    with pytest.raises(DomainError) as err:
        partner.set_settings("app1", {name: "v"})
    assert field_of(err) == f"settings.{name}"


@pytest.mark.parametrize("value", ["x", "x" * 1024])
def test_setting_values_of_1_to_1024_characters_are_taken(value: str) -> None:
    partner = make_partner()
    partner.set_settings("app1", {"token": value})
    assert partner.settings["app1"]["token"] == value


@pytest.mark.parametrize("value", ["", "x" * 1025, 5, True, ["x"], {"a": "b"}])
def test_bad_setting_values_are_refused_naming_the_setting(value: Any) -> None:
    partner = make_partner()
    with pytest.raises(DomainError) as err:
        partner.set_settings("app1", {"token": value})
    assert field_of(err) == "settings.token"


def test_one_bad_setting_refuses_them_all() -> None:
    partner = make_partner()
    partner.collect_events()
    with pytest.raises(DomainError) as err:
        partner.set_settings("app1", {"token": "abc", "Bad": "x"})
    assert field_of(err) == "settings.Bad"
    assert partner.collect_events() == []
    assert partner.settings == {}


def test_a_plugin_partner_takes_only_its_declared_settings() -> None:
    sending = PartnerSending(partner_id="adnet")
    sending.set_settings("app1", {"access_token": "tok", "app_id": "123"}, ADNET.settings)
    assert sending.settings == {"app1": {"access_token": "tok", "app_id": "123"}}
    with pytest.raises(DomainError) as err:
        sending.set_settings("app1", {"token": "x"}, ADNET.settings)
    assert field_of(err) == "settings.token"
    assert "access_token, app_id" in err.value.detail
    system = PartnerSending(partner_id="organic")
    with pytest.raises(DomainError) as err:
        system.set_settings("app1", {"access_token": "x"}, SYSTEM.settings)
    assert field_of(err) == "settings.access_token"
    assert "none" in err.value.detail
    sending.set_settings("app1", {"app_id": None}, ADNET.settings)
    assert names(sending) == ["Created", "SettingsSet", "SettingsSet"]
    assert sending.settings == {"app1": {"access_token": "tok"}}
    assert sending.sending == {}


# the service and the catalog reads the postback sender uses


class Harness:
    """A catalog service with one plugin partner on the in-memory store; the directory is
    refreshed after each command as the web layer does."""

    def __init__(self) -> None:
        self.app = CatalogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        self.directory = MemoryViewStore()
        self.catalog = Catalog(self.directory.rows("catalog"))
        self.service = CatalogService(
            self.app,
            self.catalog,
            {"adnet": ADNET, "organic": SYSTEM},
            new_postback_secret=lambda: "generated-secret-0123456789",
        )

    def __call__(self, command: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.service, command)(*args, **kwargs)
        catch_up(self.app, CatalogProjection(), self.directory)
        return result

    def new_app(self) -> str:
        app = self("register_app", title="Game", platform="ios", store_url=None, bundle_id=None,
                   attribution=None)  # fmt: skip
        return str(app.id)

    def postback(self, **fields: Any) -> Postback:
        base = {"title": "Hook", "event": "install", "event_name": None, "partner_id": None,
                "campaign_id": None, "app_id": None, "mode": "all", "method": "POST",
                "url": "https://hooks.example/tracker", "body": "{}"}  # fmt: skip
        return self("configure_postback", **(base | fields))

    def events(self) -> int:
        return len(self.app.recorder.select_notifications(start=1, limit=10000))


@pytest.fixture
def harness() -> Harness:
    return Harness()


def test_the_sender_reads_a_postback_secret(harness: Harness) -> None:
    plain = harness.postback()
    given = harness.postback(secret="given-secret-0123456789")
    made = harness.postback(generate_secret=True)
    assert made.secret == "generated-secret-0123456789"
    catalog = harness.catalog
    assert catalog.postback_secret(str(plain.id)) is None
    assert catalog.postback_secret(str(given.id)) == "given-secret-0123456789"
    assert catalog.postback_secret(str(made.id)) == "generated-secret-0123456789"
    assert catalog.postback(str(given.id)).secret == "given-secret-0123456789"
    assert catalog.postback_secret("nope") is None

    harness("update_postback", str(given.id), remove_secret=True)
    assert catalog.postback_secret(str(given.id)) is None
    harness("update_postback", str(plain.id), secret="later-secret-0123456789", title="Hook 2")
    assert catalog.postback_secret(str(plain.id)) == "later-secret-0123456789"
    assert catalog.postback(str(plain.id)).title == "Hook 2"


def test_a_postback_gets_a_secret_or_generates_one_not_both(harness: Harness) -> None:
    before = harness.events()
    with pytest.raises(DomainError) as err:
        harness.postback(secret="given-secret-0123456789", generate_secret=True)
    assert field_of(err) == "generate_secret"
    with pytest.raises(DomainError) as err:
        harness.postback(secret="short")
    assert field_of(err) == "secret"
    assert harness.events() == before
    postback = harness.postback()
    with pytest.raises(DomainError) as err:
        harness("update_postback", str(postback.id), generate_secret=True, remove_secret=True)
    assert field_of(err) == "generate_secret"
    with pytest.raises(DomainError) as err:
        harness("update_postback", str(postback.id), title="T2", secret="short")
    assert field_of(err) == "secret"
    assert harness.catalog.postback(str(postback.id)).title == "Hook"  # nothing half applied


def test_the_sender_reads_partner_settings_of_plugin_and_custom_partners(
    harness: Harness,
) -> None:
    app_id, other_app = harness.new_app(), harness.new_app()
    custom = harness("create_partner", title="Net", utm_sources=["net"], macros={}, params={})
    custom_id = str(custom.id)
    answer = harness("set_partner_settings", "adnet", app_id, {"access_token": "tok"})
    assert answer == {"access_token": "tok"}
    harness("set_partner_settings", "adnet", app_id, {"app_id": "123"})
    harness("set_partner_settings", custom_id, other_app, {"api_key": "k"})
    harness("set_sending", "adnet", app_id, {"install": "all"})

    catalog = harness.catalog
    assert catalog.partner_settings("adnet", app_id) == {"access_token": "tok", "app_id": "123"}
    assert catalog.partner_settings("adnet", other_app) == {}
    assert catalog.partner_settings(custom_id, other_app) == {"api_key": "k"}
    assert catalog.partner_settings(custom_id, app_id) == {}
    assert catalog.partner_settings("organic", app_id) == {}
    assert catalog.partner_settings("nope", app_id) == {}
    assert catalog.partner_setting_names("adnet") == {app_id: ["access_token", "app_id"]}
    assert catalog.partner_setting_names(custom_id) == {other_app: ["api_key"]}
    assert catalog.sending("adnet") == {app_id: {"install": "all"}}  # one aggregate, both kept

    # What the sender gets is a copy: changing it changes nothing in the catalog.
    catalog.partner_settings("adnet", app_id)["access_token"] = "changed"
    assert catalog.partner_settings("adnet", app_id)["access_token"] == "tok"

    harness("set_partner_settings", "adnet", app_id, {"access_token": None, "app_id": None})
    assert catalog.partner_settings("adnet", app_id) == {}
    assert catalog.partner_setting_names("adnet") == {}


def test_settings_need_a_known_app_and_partner(harness: Harness) -> None:
    app_id = harness.new_app()
    with pytest.raises(NotFound) as err:
        harness("set_partner_settings", "adnet", "nope", {"access_token": "x"})
    assert field_of(err) == "app_id"
    with pytest.raises(NotFound) as err:
        harness("set_partner_settings", "nope", app_id, {"access_token": "x"})
    assert field_of(err) == "partner_id"
    with pytest.raises(DomainError) as err:
        harness("set_partner_settings", "adnet", app_id, {"token": "x"})
    assert field_of(err) == "settings.token"


def test_view_rows_without_the_new_attributes_are_read_and_updated(
    harness: Harness, tmp_path: Path
) -> None:
    """Rows of postbacks never signed and partners without settings are the bytes the release
    before wrote; later events apply to such rows as they are."""
    app_id = harness.new_app()
    postback = harness.postback()
    custom = harness("create_partner", title="Net", utm_sources=["net"], macros={}, params={})
    harness("set_sending", "adnet", app_id, {"install": "all"})
    views = SqliteViewStore(tmp_path / "views.sqlite")
    try:
        catch_up(harness.app, CatalogProjection(), views)
        rows = {k: MsgpackTranscoder().decode(v) for k, v in views.dump("catalog")}
        assert "secret" not in rows[f"postback/{postback.id}"]
        assert "settings" not in rows[f"partner/{custom.id}"]
        sending_key = f"partner_sending/{PartnerSending.create_id('adnet')}"
        assert "settings" not in rows[sending_key]
        with views.transaction("catalog") as view_rows:
            old = Catalog(view_rows)
            assert old.postback_secret(str(postback.id)) is None
            assert old.partner_settings(str(custom.id), app_id) == {}
            assert old.partner_settings("adnet", app_id) == {}

        harness("update_postback", str(postback.id), secret="later-secret-0123456789")
        harness("set_partner_settings", str(custom.id), app_id, {"api_key": "k"})
        harness("set_partner_settings", "adnet", app_id, {"access_token": "tok"})
        catch_up(harness.app, CatalogProjection(), views)
        with views.transaction("catalog") as view_rows:
            updated = Catalog(view_rows)
            assert updated.postback_secret(str(postback.id)) == "later-secret-0123456789"
            assert updated.partner_settings(str(custom.id), app_id) == {"api_key": "k"}
            assert updated.partner_settings("adnet", app_id) == {"access_token": "tok"}
            assert updated.sending("adnet") == {app_id: {"install": "all"}}
    finally:
        views.close()
