"""The TUNE partner package: its PartnerSpec, its postbacks, and how it reads TUNE's answers."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import tracker_partner_tune as tune

from tracker import DeliveryOutcome, PartnerSpec, PostbackRequest, PostbackResponse

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
TRANSACTION_ID = "1027c887059b47bc69c699f45466b9"


@pytest.fixture
def spec() -> PartnerSpec:
    return tune.partner_spec()


def render(url: str, values: dict[str, str]) -> str:
    return MACRO.sub(lambda m: quote(values.get(m.group(1), ""), safe=""), url)


def test_the_package_registers_the_tune_partner(spec: PartnerSpec) -> None:
    assert tune.tracker_register_partners() == [spec]
    assert spec.id == "tune"
    assert spec.kind == "integrated"
    assert {"tune", "hasoffers"} <= set(spec.utm_sources)
    assert spec.settings == ("network_id", "purchase_goal_id")
    assert spec.supported_events == ("install", "purchase")
    assert set(spec.supported_events) <= POSTBACK_EVENTS


def test_templates_use_only_macros_the_tracker_knows(spec: PartnerSpec) -> None:
    settings = {f"setting_{name}" for name in spec.settings}
    echoed = {name for name in spec.macros if not name.startswith("mt_")}
    used = {name for t in spec.postbacks.values() for name in MACRO.findall(t.url)}
    assert used - KNOWN_MACROS - settings - echoed == set()
    assert settings <= used


def test_the_link_mapping_keeps_the_transaction_id(spec: PartnerSpec) -> None:
    assert {name for name in spec.macros if name.startswith("mt_")} <= CLICK_MT_PARAMS
    assert spec.macros["transaction_id"] == "{transaction_id}"
    assert spec.macros["mt_idfa"] == "{ios_ifa}"
    assert spec.macros["mt_gaid"] == "{google_aid}"
    assert spec.macros["mt_sub1"] == "{aff_sub}"


def test_the_install_postback_goes_to_the_networks_aff_lsr(spec: PartnerSpec) -> None:
    template = spec.postbacks["install"]
    assert template.method == "GET"
    url = render(template.url, {"setting_network_id": "demo", "transaction_id": TRANSACTION_ID})
    assert url == f"https://demo.go2cloud.org/aff_lsr?transaction_id={TRANSACTION_ID}"


def test_the_purchase_postback_goes_to_its_goal_with_the_amount(spec: PartnerSpec) -> None:
    template = spec.postbacks["purchase"]
    assert template.method == "GET"
    url = urlsplit(
        render(
            template.url,
            {
                "setting_network_id": "demo",
                "setting_purchase_goal_id": "7",
                "transaction_id": TRANSACTION_ID,
                "mt_payment_sum_src": "19.90",
                "mt_payment_currency": "EUR",
            },
        )
    )
    assert (url.scheme, url.netloc, url.path) == ("https", "demo.go2cloud.org", "/aff_goal")
    assert parse_qs(url.query) == {
        "a": ["lsr"],
        "goal_id": ["7"],
        "transaction_id": [TRANSACTION_ID],
        "amount": ["19.90"],
        "currency": ["EUR"],
    }


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (200, "success=true;", "delivered"),
        (200, "success=true;\n", "delivered"),
        (200, " SUCCESS=TRUE; ", "delivered"),
        (204, "success=true;", "delivered"),
        (200, "success=false; err_msg=Invalid Trans. ID #1027c887059b47b.;", "failed"),
        (200, "success=false; err_msg=Duplicate conversion;", "failed"),
        (200, "success=false;", "failed"),
        (200, "", "failed"),
        (200, "<html><body>OK</body></html>", "failed"),
        (429, "", "retry"),
        (500, "", "retry"),
        (502, "<html>Bad Gateway</html>", "retry"),
        (503, "success=true;", "retry"),
        (301, "", "failed"),
        (400, "success=false;", "failed"),
        (404, "", "failed"),
    ],
)
def test_tune_answers_are_classified_by_their_body(
    spec: PartnerSpec, status: int, body: str, verdict: str
) -> None:
    request = PostbackRequest(method="GET", url="https://demo.go2cloud.org/aff_lsr?x=1")
    outcome = tune.tracker_classify_response(
        partner=spec, request=request, response=PostbackResponse(status=status, body=body)
    )
    assert isinstance(outcome, DeliveryOutcome)
    assert outcome.verdict == verdict
    assert (outcome.reason == "") == (verdict == "delivered")


def test_a_refusal_says_what_tune_said(spec: PartnerSpec) -> None:
    body = "success=false; err_msg=Invalid Trans. ID #1027c887059b47b.;"
    outcome = tune.classify(PostbackResponse(status=200, body=body))
    assert outcome == DeliveryOutcome(
        verdict="failed", reason="TUNE refused it: Invalid Trans. ID #1027c887059b47b."
    )


def test_tune_fields_reads_the_key_value_answer() -> None:
    assert tune.tune_fields("success=false; err_msg=Duplicate conversion;") == {
        "success": "false",
        "err_msg": "Duplicate conversion",
    }
    assert tune.tune_fields("no fields here") == {}


@pytest.mark.parametrize(
    "partner",
    [None, PartnerSpec(id="unity_ads", title="Unity Ads"), PartnerSpec(id="x", title="X")],
)
def test_other_partners_answers_are_left_to_other_plugins(partner: PartnerSpec | None) -> None:
    request = PostbackRequest(method="GET", url="https://example.test/pb")
    for body in ("success=false;", "anything"):
        response = PostbackResponse(status=200, body=body)
        assert (
            tune.tracker_classify_response(partner=partner, request=request, response=response)
            is None
        )
