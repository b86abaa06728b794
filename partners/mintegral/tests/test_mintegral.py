"""The Mintegral partner package: its PartnerSpec and the postbacks its templates describe."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import tracker_partner_mintegral as mintegral

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

IDFA = "3E0046F7-8BD4-4F3E-9F91-358B137D2BF0"
GAID = "7268ceb0-5411-4004-b7cb-bd1fee4b6277"
CLICK = {"clickid": "mtg0a1b2c3d4e5f6g7h8i9j1x2y", "campuuid": "game_ios_us_mtg"}


@pytest.fixture
def spec() -> PartnerSpec:
    return mintegral.partner_spec()


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


def test_the_package_registers_the_mintegral_partner(spec: PartnerSpec) -> None:
    assert mintegral.tracker_register_partners() == [spec]
    assert spec.id == "mintegral"
    assert spec.kind == "integrated"
    assert "mintegral" in spec.utm_sources
    assert spec.settings == ()
    assert spec.supported_events == ("install", "registration", "login", "purchase", "custom")
    assert set(spec.supported_events) <= POSTBACK_EVENTS
    assert set(spec.supported_events) == set(spec.postbacks)


def test_templates_use_only_macros_the_tracker_knows(spec: PartnerSpec) -> None:
    echoed = {name for name in spec.macros if not name.startswith("mt_")}
    unknown = {
        name
        for name in macros_of(spec)
        if name not in KNOWN_MACROS | echoed and not name.startswith(("mtpp_", "mtep_"))
    }
    assert unknown == set()


def test_the_link_mapping_names_click_parameters_the_tracker_reads(spec: PartnerSpec) -> None:
    assert {name for name in spec.macros if name.startswith("mt_")} <= CLICK_MT_PARAMS
    assert spec.macros["mt_idfa"] == "{idfa}"
    assert spec.macros["mt_gaid"] == "{gaid}"
    # The sub-publisher (Mintegral's sub-channel id) is a SubID.
    assert spec.macros["mt_sub1"] == "{affiliate_id}"
    # Mintegral's clicks may be client-side redirects: the link keeps redirecting.
    assert "mt_no_redirect" not in spec.macros


def test_the_click_id_and_promotion_id_are_kept_and_echoed_in_every_postback(
    spec: PartnerSpec,
) -> None:
    assert spec.macros["clickid"] == "{click_id}"
    assert spec.macros["campuuid"] == "{uuid}"
    for template in spec.postbacks.values():
        query = render(template.url, CLICK)
        assert query["clickid"] == [CLICK["clickid"]]
        assert query["campuuid"] == [CLICK["campuuid"]]
        assert query["type"] == ["s2s"]


def test_idfa_goes_uppercase_and_gaid_lowercase(spec: PartnerSpec) -> None:
    for template in spec.postbacks.values():
        query = render(template.url, {"mt_idfa_uc": IDFA, "mt_gaid_lc": GAID})
        assert query["idfa"] == [IDFA]
        assert query["gaid"] == [GAID]
    uncased = {"mt_idfa", "mt_gaid", "mt_idfa_or_gaid", "mt_idfa_lc", "mt_gaid_uc"}
    assert macros_of(spec) & uncased == set()


def test_every_postback_is_a_get_to_mintegral(spec: PartnerSpec) -> None:
    for event, template in spec.postbacks.items():
        assert template.method == "GET"
        assert template.body is None
        path = "/install" if event == "install" else "/event"
        assert urlsplit(template.url).netloc == "postback.mintegral.net"
        assert urlsplit(template.url).path == path


def test_an_install_postback_carries_the_install_time(spec: PartnerSpec) -> None:
    query = render(spec.postbacks["install"].url, CLICK | {"mt_install_ts": "1767268800"})
    assert query["install_time"] == ["1767268800"]
    assert "event_name" not in query


@pytest.mark.parametrize(
    ("event", "values", "expected"),
    [
        ("registration", {}, {"event_name": ["registration"]}),
        ("login", {}, {"event_name": ["login"]}),
        (
            "purchase",
            {"mt_payment_sum_src": "4.99", "mt_payment_currency": "USD"},
            {"event_name": ["purchase"], "event_value": ["4.99"], "currency": ["USD"]},
        ),
        ("custom", {"mt_event_name": "tutorial done"}, {"event_name": ["tutorial done"]}),
    ],
)
def test_an_event_postback_names_its_event(
    spec: PartnerSpec, event: str, values: dict[str, str], expected: dict[str, list[str]]
) -> None:
    query = render(spec.postbacks[event].url, CLICK | {"mt_event_ts": "1767272400"} | values)
    assert {k: query[k] for k in expected} == expected
    assert query["event_time"] == ["1767272400"]
