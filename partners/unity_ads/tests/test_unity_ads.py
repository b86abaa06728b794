"""The Unity Ads partner package: its PartnerSpec and the postbacks its templates describe."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import tracker_partner_unity_ads as unity

from tracker import PartnerSpec

# The macro names of the tracker's postback templates (its macro engine), and the mt_
# parameters it reads from a click; kept here because tracker does not export them.
KNOWN_MACROS = frozenset(
    {
        *("mt_gaid", "mt_gaid_lc", "mt_gaid_uc", "mt_idfa", "mt_idfa_uc", "mt_idfa_lc"),
        *("mt_idfa_or_gaid", "mt_idfa_upper_or_gaid_lower", "mt_android_id", "mt_idfv"),
        *("mt_oaid", "mt_app_set_id", "mt_instance_id", "mt_event_ts", "mt_event_name"),
        *("mt_event_type", "mt_payment_sum_src", "mt_payment_currency", "mt_install_ts"),
        *("mt_click_ts", "mt_ctit", "mt_ip", "mt_ua", "mt_country", "mt_platform"),
        *("mt_app_id", "mt_campaign_id", "mt_partner_id", "mt_link_id", "mt_click_id"),
        *("mt_install_id", "mt_postback_id", "mt_network", "mt_campaign", "mt_adset"),
        *("mt_creative", "mt_medium", "mt_sub1", "mt_sub2", "mt_sub3", "mt_sub4", "mt_sub5"),
    }
)
CLICK_MT_PARAMS = frozenset(
    {
        *("mt_gaid", "mt_idfa", "mt_android_id", "mt_oaid", "mt_idfv", "mt_app_set_id"),
        *("mt_network", "mt_campaign", "mt_adset", "mt_creative", "mt_medium"),
        *("mt_sub1", "mt_sub2", "mt_sub3", "mt_sub4", "mt_sub5"),
        *("mt_cost_model", "mt_cost_value", "mt_cost_currency", "mt_cost_count"),
        *("mt_no_redirect", "mt_pixel", "mt_ip", "mt_ua"),
    }
)
POSTBACK_EVENTS = frozenset(
    {"install", "reinstall", "reengagement", "registration", "login", "purchase"}
    | {"first_payment", "custom"}
)
MACRO = re.compile(r"\{([^{}]*)\}")

IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"


@pytest.fixture
def spec() -> PartnerSpec:
    return unity.partner_spec()


def macros_of(spec: PartnerSpec) -> set[str]:
    names: set[str] = set()
    for template in spec.postbacks.values():
        for text in (template.url, template.body or "", *template.headers.values()):
            names.update(MACRO.findall(text))
    return names


def render(url: str, values: dict[str, str]) -> dict[str, list[str]]:
    """What the query says once rendered the way the tracker renders URL macros."""
    rendered = MACRO.sub(lambda m: quote(values.get(m.group(1), ""), safe=""), url)
    pairs = [p.partition("=")[0] for p in urlsplit(rendered).query.split("&")]
    assert len(pairs) == len(set(pairs)), f"a parameter repeats in {url}"
    return parse_qs(urlsplit(rendered).query, keep_blank_values=True)


def test_the_package_registers_the_unity_ads_partner(spec: PartnerSpec) -> None:
    assert unity.tracker_register_partners() == [spec]
    assert spec.id == "unity_ads"
    assert spec.kind == "integrated"
    assert "unity_ads" in spec.utm_sources
    assert spec.settings == ("game_id", "store_id")
    assert spec.supported_events == ("install", "registration", "purchase", "custom")
    assert set(spec.supported_events) <= POSTBACK_EVENTS
    assert set(spec.supported_events) == set(spec.postbacks)


def test_templates_use_only_macros_the_tracker_knows(spec: PartnerSpec) -> None:
    settings = {f"setting_{name}" for name in spec.settings}
    echoed = {name for name in spec.macros if not name.startswith("mt_")}
    unknown = {
        name
        for name in macros_of(spec)
        if name not in KNOWN_MACROS | settings | echoed and not name.startswith(("mtpp_", "mtep_"))
    }
    assert unknown == set()


def test_the_link_mapping_names_click_parameters_the_tracker_reads(spec: PartnerSpec) -> None:
    assert {name for name in spec.macros if name.startswith("mt_")} <= CLICK_MT_PARAMS
    assert spec.macros["mt_idfa"] == "{ifa}"
    assert spec.macros["mt_gaid"] == "{ifa}"
    # Unity opens the store itself; the tracking link must not redirect.
    assert spec.macros["mt_no_redirect"] == "1"


def test_the_gamer_id_is_kept_from_the_click_and_echoed_in_every_postback(
    spec: PartnerSpec,
) -> None:
    assert spec.macros["gamer_id"] == "{gamer_id}"
    assert all("{gamer_id}" in t.url for t in spec.postbacks.values())


def test_idfa_goes_uppercase_and_gaid_lowercase(spec: PartnerSpec) -> None:
    assert "advertisingTrackingId={mt_idfa_upper_or_gaid_lower}" in spec.postbacks["install"].url
    for event in ("registration", "purchase", "custom"):
        query = render(spec.postbacks[event].url, {"mt_idfa_uc": IDFA, "mt_gaid_lc": GAID})
        assert query["ifa"] == [IDFA]
        assert query["aid"] == [GAID]
    uncased = {"mt_idfa", "mt_gaid", "mt_idfa_or_gaid", "mt_idfa_lc", "mt_gaid_uc"}
    assert macros_of(spec) & uncased == set()


def test_every_postback_is_a_get_to_unity(spec: PartnerSpec) -> None:
    for template in spec.postbacks.values():
        assert template.method == "GET"
        assert template.body is None
        assert urlsplit(template.url).scheme == "https"
    assert spec.postbacks["install"].url.startswith(
        "https://postback.unityads.unity3d.com/games/{setting_game_id}/install?"
    )
    for event in ("registration", "purchase", "custom"):
        assert spec.postbacks[event].url.startswith(
            "https://ads-secondary-conversion.unityads.unity3d.com/v1/events?"
        )


def test_an_install_postback_as_rendered() -> None:
    url = unity.partner_spec().postbacks["install"].url
    values = {
        "setting_game_id": "500009999",
        "mt_idfa_upper_or_gaid_lower": GAID,
        "gamer_id": "5f1e-gamer",
        "mt_install_ts": "1767268800",
    }
    rendered = MACRO.sub(lambda m: quote(values.get(m.group(1), ""), safe=""), url)
    assert urlsplit(rendered).path == "/games/500009999/install"
    assert render(url, values) == {
        "advertisingTrackingId": [GAID],
        "gamerId": ["5f1e-gamer"],
        "installTimeEpoch": ["1767268800"],
    }


@pytest.mark.parametrize(
    ("event", "values", "expected"),
    [
        ("registration", {}, {"event": ["registration"]}),
        (
            "purchase",
            {"mt_payment_sum_src": "4.99", "mt_payment_currency": "EUR"},
            {"event": ["purchase"], "value": ["4.99"], "currency": ["EUR"]},
        ),
        (
            "custom",
            {"mt_event_name": "level 7"},
            {"event": ["custom"], "custom_event": ["level 7"]},
        ),
    ],
)
def test_an_event_postback_names_the_event_as_unity_does(
    event: str, values: dict[str, str], expected: dict[str, list[str]]
) -> None:
    base = {
        "gamer_id": "5f1e-gamer",
        "campaign_id": "546b9257365339e0031572bd",
        "setting_game_id": "500009999",
        "setting_store_id": "com.example.game",
        "mt_platform": "android",
        "mt_install_ts": "1767268800",
        "mt_event_ts": "1767272400",
    }
    query = render(unity.partner_spec().postbacks[event].url, base | values)
    assert {k: query[k] for k in expected} == expected
    assert query["gamer_id"] == ["5f1e-gamer"]
    assert query["campaign_id"] == ["546b9257365339e0031572bd"]
    assert query["game_id"] == ["500009999"]
    assert query["platform"] == ["android"]
    assert query["store_id"] == ["com.example.game"]
    assert query["install_ts"] == ["1767268800"]
    assert query["ts"] == ["1767272400"]
