"""Partners: system (from plugins), custom (created here), sending modes, per-app settings;
traffic types."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from tests.web.api_helpers import call, create_app, create_partner, create_token, error
from tracker import PartnerSpec, hookimpl
from tracker.bootstrap import Role, bootstrap, build_process
from tracker.replay import replay
from tracker.settings import Settings
from tracker.web.app import create_app as create_web_app

pytestmark = pytest.mark.usefixtures("store")


async def test_system_partners_always_exist(client: Any) -> None:
    with trio.fail_after(10):
        _, listing = await call(client, "GET", "/api/v1/partners", expect=200)
        kinds = {p["id"]: p["kind"] for p in listing["partners"]}
        assert kinds == {"organic": "system", "no_partner": "system"}
        _, organic = await call(client, "GET", "/api/v1/partners/organic", expect=200)
        assert organic["title"] == "Organic"


async def test_create_list_get_and_patch_a_custom_partner(client: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(
            client,
            macros={"mt_idfa": "%%IDFA%%"},
            params={"account": "42"},
            utm_sources=["net", "net_ads"],
        )
        assert partner["kind"] == "custom"
        assert partner["utm_sources"] == ["net", "net_ads"]
        assert partner["macros"] == {"mt_idfa": "%%IDFA%%"}
        assert partner["params"] == {"account": "42"}
        _, listing = await call(client, "GET", "/api/v1/partners", expect=200)
        assert partner["id"] in [p["id"] for p in listing["partners"]]
        path = f"/api/v1/partners/{partner['id']}"
        _, got = await call(client, "GET", path, expect=200)
        assert got == partner
        _, patched = await call(
            client, "PATCH", path, json={"title": "Net 2", "macros": {}}, expect=200
        )
        assert patched["title"] == "Net 2"
        assert patched["macros"] == {}
        assert patched["utm_sources"] == ["net", "net_ads"]
        _, unchanged = await call(client, "PATCH", path, json={}, expect=200)
        assert unchanged == patched


async def test_bad_partners_are_400_naming_the_field(client: Any) -> None:
    with trio.fail_after(10):
        cases = [
            ({"utm_sources": ["x"]}, "title"),
            ({"title": "P"}, "utm_sources"),
            ({"title": "P", "utm_sources": []}, "utm_sources"),
            ({"title": "P", "utm_sources": ["  "]}, "utm_sources"),
            ({"title": "P", "utm_sources": "x"}, "utm_sources"),
            ({"title": "P", "utm_sources": [""]}, "utm_sources[0]"),
            ({"title": "P", "utm_sources": ["x"], "macros": {"a": 1}}, "macros[...]"),
            ({"title": "P", "utm_sources": ["x"], "kind": "integrated"}, "kind"),
        ]
        for body, field in cases:
            data = await error(client, "POST", "/api/v1/partners", 400, json=body)
            assert data["detail"].startswith(f"{field}:"), (body, data)
        partner = await create_partner(client)
        path = f"/api/v1/partners/{partner['id']}"
        data = await error(client, "PATCH", path, 400, json={"utm_sources": []})
        assert data["detail"].startswith("utm_sources:")


async def test_unknown_partners_are_404_and_system_ones_cannot_be_changed(client: Any) -> None:
    with trio.fail_after(10):
        data = await error(client, "GET", "/api/v1/partners/nope", 404)
        assert data["detail"].startswith("partner_id:")
        await error(client, "PATCH", "/api/v1/partners/nope", 404, json={"title": "x"})
        data = await error(client, "PATCH", "/api/v1/partners/organic", 409, json={"title": "x"})
        assert data["detail"].startswith("partner_id:")


async def test_sending_modes_per_partner_app_and_event(client: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        app = await create_app(client)
        other_app = await create_app(client, title="Other")
        path = f"/api/v1/partners/{partner['id']}/sending/{app['id']}"
        _, modes = await call(
            client, "PUT", path, json={"install": "all", "purchase": "attributed"}, expect=200
        )
        assert modes == {"install": "all", "purchase": "attributed"}
        _, modes = await call(client, "PUT", path, json={"purchase": "off"}, expect=200)
        assert modes == {"install": "all", "purchase": "off"}
        other = f"/api/v1/partners/{partner['id']}/sending/{other_app['id']}"
        _, modes = await call(client, "PUT", other, json={"custom": "all"}, expect=200)
        assert modes == {"custom": "all"}
        _, got = await call(client, "GET", f"/api/v1/partners/{partner['id']}", expect=200)
        assert got["sending"] == {
            app["id"]: {"install": "all", "purchase": "off"},
            other_app["id"]: {"custom": "all"},
        }


async def test_bad_sending_modes(client: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        app = await create_app(client)
        path = f"/api/v1/partners/{partner['id']}/sending/{app['id']}"
        data = await error(client, "PUT", path, 400, json={"install": "sometimes"})
        assert data["detail"].startswith("install:")
        data = await error(client, "PUT", path, 400, json={"click": "all"})
        assert data["detail"].startswith("click:")
        data = await error(client, "PUT", path, 400, json={"install": None, "login": 1})
        assert data["detail"].startswith("login:")
        missing_app = f"/api/v1/partners/{partner['id']}/sending/nope"
        data = await error(client, "PUT", missing_app, 404, json={"install": "all"})
        assert data["detail"].startswith("app_id:")
        missing_partner = f"/api/v1/partners/nope/sending/{app['id']}"
        data = await error(client, "PUT", missing_partner, 404, json={"install": "all"})
        assert data["detail"].startswith("partner_id:")


async def test_traffic_types_standard_custom_and_archived(client: Any) -> None:
    with trio.fail_after(10):
        _, listing = await call(client, "GET", "/api/v1/traffic-types", expect=200)
        standard = {t["name"] for t in listing["traffic_types"] if t["standard"]}
        assert {"media", "search", "social", "incentive", "email", "preinstall"} <= standard
        _, added = await call(
            client, "POST", "/api/v1/traffic-types", json={"name": "Push", "title": "Push"}
        )
        assert added == {"name": "push", "title": "Push", "standard": False, "archived": False}
        data = await error(client, "POST", "/api/v1/traffic-types", 409, json={"name": "push"})
        assert data["detail"].startswith("name:")
        data = await error(client, "POST", "/api/v1/traffic-types", 409, json={"name": "media"})
        assert data["detail"].startswith("name:")
        data = await error(client, "POST", "/api/v1/traffic-types", 400, json={"name": "a b"})
        assert data["detail"].startswith("name:")
        data = await error(client, "POST", "/api/v1/traffic-types", 400, json={"name": ""})
        assert data["detail"].startswith("name:")
        await call(
            client,
            "POST",
            "/api/v1/campaigns",
            json={"title": "C", "traffic_type": "push"},
            expect=201,
        )
        _, archived = await call(client, "POST", "/api/v1/traffic-types/push/archive", expect=200)
        assert archived["archived"] is True
        await call(client, "POST", "/api/v1/traffic-types/push/archive", expect=200)
        _, listing = await call(client, "GET", "/api/v1/traffic-types", expect=200)
        assert {"name": "push", "title": "Push", "standard": False, "archived": True} in listing[
            "traffic_types"
        ]
        data = await error(
            client, "POST", "/api/v1/campaigns", 404, json={"title": "C", "traffic_type": "push"}
        )
        assert data["detail"].startswith("traffic_type:")
        data = await error(client, "POST", "/api/v1/traffic-types/media/archive", 409)
        assert data["detail"].startswith("name:")
        data = await error(client, "POST", "/api/v1/traffic-types/nope/archive", 404)
        assert data["detail"].startswith("name:")


async def test_an_integrated_partner_from_a_plugin(settings: Any) -> None:
    from tests.plugins.test_system_partners import NetworkPlugin
    from tests.web.api_helpers import create_campaign, create_smart_link
    from tracker.bootstrap import Role, bootstrap, build_process
    from tracker.web.app import create_app as create_web_app

    tracker = bootstrap(settings, extra_plugins=[NetworkPlugin()])
    try:
        async with create_web_app(build_process(tracker, Role.SERVE)).test_app() as test_app:
            client = test_app.test_client()
            with trio.fail_after(10):
                _, listing = await call(client, "GET", "/api/v1/partners", expect=200)
                kinds = {p["id"]: p["kind"] for p in listing["partners"]}
                assert kinds["adnet"] == "integrated"
                campaign = await create_campaign(client, partner_id="adnet")
                link = await create_smart_link(client, campaign["id"])
                assert link["click_url_template"] == f"{link['click_url']}?mt_idfa=%%IDFA%%"
                data = await error(
                    client, "PATCH", "/api/v1/partners/adnet", 409, json={"title": "Mine"}
                )
                assert data["detail"].startswith("partner_id:")
                app = await create_app(client)
                path = f"/api/v1/partners/adnet/sending/{app['id']}"
                _, modes = await call(client, "PUT", path, json={"install": "all"}, expect=200)
                assert modes == {"install": "all"}
                _, modes = await call(client, "PUT", path, json={"login": "off"}, expect=200)
                assert modes == {"install": "all", "login": "off"}
                _, adnet = await call(client, "GET", "/api/v1/partners/adnet", expect=200)
                assert adnet["sending"] == {app["id"]: {"install": "all", "login": "off"}}
                organic = f"/api/v1/partners/organic/sending/{app['id']}"
                await call(client, "PUT", organic, json={"install": "all"}, expect=200)
                _, listing = await call(client, "GET", "/api/v1/partners", expect=200)
                sending = {p["id"]: p["sending"] for p in listing["partners"]}
                assert sending["organic"] == {app["id"]: {"install": "all"}}
                assert sending["no_partner"] == {}
                data = await error(client, "PUT", path, 400, json={"install": "some"})
                assert data["detail"].startswith("install:")
        tracker.close()
        tracker = bootstrap(settings, extra_plugins=[NetworkPlugin()])
        assert tracker.catalog.sending("adnet") == {app["id"]: {"install": "all", "login": "off"}}
    finally:
        tracker.close()


# per-app settings

TOKEN = "tok-0123456789-secret-value"


class TokPlugin:
    """An integrated partner whose templates need an access token and its own app id."""

    @hookimpl
    def tracker_register_partners(self) -> list[PartnerSpec]:
        return [PartnerSpec(id="tok", title="Tok", settings=("access_token", "app_id"))]


async def _everything_shown(client: Any, partner_id: str) -> str:
    _, got = await call(client, "GET", f"/api/v1/partners/{partner_id}", expect=200)
    _, listing = await call(client, "GET", "/api/v1/partners", expect=200)
    _, history = await call(client, "GET", "/api/v1/events?limit=10000", expect=200)
    return f"{got}\n{listing}\n{history}"


async def test_settings_of_integrated_and_custom_partners(settings: Settings) -> None:
    tracker = bootstrap(settings, extra_plugins=[TokPlugin()])
    try:
        async with create_web_app(build_process(tracker, Role.SERVE)).test_app() as test_app:
            client = test_app.test_client()
            with trio.fail_after(10):
                app = await create_app(client)
                other = await create_app(client, title="Other")
                path = f"/api/v1/partners/tok/settings/{app['id']}"
                _, answer = await call(
                    client, "PUT", path, json={"access_token": TOKEN, "app_id": "77"}, expect=200
                )
                assert answer == {
                    "app_id": app["id"],
                    "settings": {"access_token": "set", "app_id": "set"},
                }
                await call(client, "PUT", f"/api/v1/partners/tok/sending/{app['id']}",
                           json={"install": "all"}, expect=200)  # fmt: skip
                _, tok = await call(client, "GET", "/api/v1/partners/tok", expect=200)
                assert tok["settings"] == {app["id"]: ["access_token", "app_id"]}
                assert tok["sending"] == {app["id"]: {"install": "all"}}
                _, listing = await call(client, "GET", "/api/v1/partners", expect=200)
                shown = {p["id"]: p["settings"] for p in listing["partners"]}
                assert shown["tok"] == tok["settings"] and shown["organic"] == {}
                assert tracker.catalog.partner_settings("tok", app["id"]) == {
                    "access_token": TOKEN,
                    "app_id": "77",
                }
                assert TOKEN not in await _everything_shown(client, "tok")

                _, answer = await call(client, "PUT", path, json={"app_id": None}, expect=200)
                assert answer == {"app_id": app["id"], "settings": {"access_token": "set"}}
                _, answer = await call(client, "PUT", path, json={}, expect=200)
                assert answer["settings"] == {"access_token": "set"}

                data = await error(client, "PUT", path, 400, json={"token": "x"})
                assert data["detail"].startswith("settings.token:")
                assert "access_token, app_id" in data["detail"]
                organic = f"/api/v1/partners/organic/settings/{app['id']}"
                data = await error(client, "PUT", organic, 400, json={"access_token": "x"})
                assert data["detail"].startswith("settings.access_token:")

                custom = await create_partner(client)
                assert custom["settings"] == {}
                custom_path = f"/api/v1/partners/{custom['id']}/settings/{other['id']}"
                _, answer = await call(
                    client, "PUT", custom_path, json={"api_key": TOKEN}, expect=200
                )
                assert answer == {"app_id": other["id"], "settings": {"api_key": "set"}}
                _, got = await call(client, "GET", f"/api/v1/partners/{custom['id']}")
                assert got["settings"] == {other["id"]: ["api_key"]}
                assert TOKEN not in await _everything_shown(client, custom["id"])

                _, history = await call(client, "GET", "/api/v1/events?limit=10000")
                changes = [e for e in history["events"] if e["type"].endswith(".SettingsSet")]
                assert [(e["type"], e["data"]) for e in changes] == [
                    (
                        "PartnerSending.SettingsSet",
                        {
                            "app_id": app["id"],
                            "settings": {"access_token": "<hidden>", "app_id": "<hidden>"},
                        },
                    ),
                    (
                        "PartnerSending.SettingsSet",
                        {"app_id": app["id"], "settings": {"app_id": None}},
                    ),
                    (
                        "Partner.SettingsSet",
                        {"app_id": other["id"], "settings": {"api_key": "<hidden>"}},
                    ),
                ]
        tracker.close()
        tracker = bootstrap(settings, extra_plugins=[TokPlugin()])
        assert tracker.catalog.partner_settings("tok", app["id"]) == {"access_token": TOKEN}
        assert tracker.catalog.partner_settings(custom["id"], other["id"]) == {"api_key": TOKEN}
        assert tracker.catalog.sending("tok") == {app["id"]: {"install": "all"}}
        tracker.update_views()
        report = replay(tracker)
        assert report.equal, report.summary()
    finally:
        tracker.close()


async def test_bad_settings_are_400_naming_the_setting(client: Any, tracker: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        app = await create_app(client)
        path = f"/api/v1/partners/{partner['id']}/settings/{app['id']}"
        cases = [
            ({"Token": "x"}, "settings.Token"),
            ({"1token": "x"}, "settings.1token"),
            ({"to-ken": "x"}, "settings.to-ken"),
            ({"": "x"}, "settings."),
            ({"a" * 65: "x"}, f"settings.{'a' * 65}"),
            ({"token": ""}, "settings.token"),
            ({"token": "x" * 1025}, "settings.token"),
            ({"token": 5}, "settings.token"),
            ({"token": ["x"]}, "settings.token"),
            ({"good": "x", "token": False}, "settings.token"),
            (["token"], "body"),
            ("token", "body"),
        ]
        for body, field in cases:
            data = await error(client, "PUT", path, 400, json=body)
            assert data["detail"].startswith(f"{field}:"), (body, data)
        data = await error(client, "PUT", path, 400, data=b"{")
        assert data["detail"].startswith("body:")
        _, answer = await call(
            client, "PUT", path, json={"a" * 64: "x" * 1024, "t": "y"}, expect=200
        )
        assert answer["settings"] == {"a" * 64: "set", "t": "set"}
        assert tracker.catalog.partner_settings(partner["id"], app["id"]) == {
            "a" * 64: "x" * 1024,
            "t": "y",
        }


async def test_unknown_partners_and_apps_are_404(client: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        app = await create_app(client)
        data = await error(
            client, "PUT", f"/api/v1/partners/nope/settings/{app['id']}", 404, json={"t": "x"}
        )
        assert data["detail"].startswith("partner_id:")
        for partner_id in (partner["id"], "organic"):
            data = await error(
                client, "PUT", f"/api/v1/partners/{partner_id}/settings/nope", 404, json={}
            )
            assert data["detail"].startswith("app_id:")


async def test_only_an_admin_token_sets_settings(client: Any, tracker: Any) -> None:
    with trio.fail_after(10):
        partner = await create_partner(client)
        app = await create_app(client)
        viewer = await create_token(client, "viewer")
        own = await create_token(client, "partner", partner["id"])
        path = f"/api/v1/partners/{partner['id']}/settings/{app['id']}"
        await call(client, "PUT", path, json={"api_key": TOKEN}, expect=200)
        for token in (viewer, own):
            data = await error(client, "PUT", path, 403, token=token, json={"api_key": "mine"})
            assert data["detail"].startswith("Authorization:")
            await error(client, "PUT", path, 403, token=token, json={"api_key": None})
        _, got = await call(client, "GET", f"/api/v1/partners/{partner['id']}", token=own)
        assert got["settings"] == {app["id"]: ["api_key"]}
        assert TOKEN not in str(got)
        assert tracker.catalog.partner_settings(partner["id"], app["id"]) == {"api_key": TOKEN}
