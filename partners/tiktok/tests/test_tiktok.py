"""The TikTok partner package: its PartnerSpec, the Events API request it builds, and how it
reads TikTok's answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
import tracker_partner_tiktok as tiktok

from tracker import (
    DeliveryOutcome,
    PartnerSpec,
    PostbackRequest,
    PostbackResponse,
    PostbackTemplate,
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
TOKEN = "tt-secret-token-0f9a"
IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
SETTINGS = {
    "setting_access_token": TOKEN,
    "setting_tiktok_app_id": "7568899277611696136",
    "setting_store_app_id": "343200656",
}
IOS_PURCHASE = SETTINGS | {
    "mt_event_type": "purchase",
    "mt_event_name": "purchase",
    "mt_event_ts": "1767272400",
    "mt_postback_id": "pb-2f6c1e",
    "mt_idfa_uc": IDFA,
    "mt_idfv": "A1B2C3D4-0000-4000-8000-000000000001",
    "mt_ip": "203.0.113.7",
    "mt_ua": "Game/1.0 CFNetwork/1410 Darwin/22.6.0",
    "mt_payment_sum_src": "4.99",
    "mt_payment_currency": "EUR",
    "callback": "E.C.P.v3ZzZXJ2aWNlX2lk",
}
ANDROID_INSTALL = SETTINGS | {
    "mt_event_type": "install",
    "mt_event_ts": "1767268800",
    "mt_postback_id": "pb-0a1b2c",
    "mt_gaid_lc": GAID,
    "mt_ip": "2001:db8::1",
    "mt_ua": "Dalvik/2.1.0 (Linux; U; Android 14)",
}


@pytest.fixture
def spec() -> PartnerSpec:
    return tiktok.partner_spec()


def build(spec: PartnerSpec, values: dict[str, str]) -> PostbackRequest:
    request = tiktok.tracker_build_postback(
        partner=spec,
        template=spec.postbacks[values["mt_event_type"]],
        values=values,
        secret=None,
    )
    assert isinstance(request, PostbackRequest)
    return request


def body_of(request: PostbackRequest) -> dict[str, Any]:
    assert request.body is not None
    return json.loads(request.body)


def test_the_package_registers_the_tiktok_partner(spec: PartnerSpec) -> None:
    assert tiktok.tracker_register_partners() == [spec]
    assert spec.id == "tiktok"
    assert spec.kind == "integrated"
    assert "tiktok" in spec.utm_sources
    assert spec.settings == ("access_token", "tiktok_app_id", "store_app_id")
    assert spec.supported_events == ("install", "registration", "login", "purchase", "custom")
    assert set(spec.supported_events) <= POSTBACK_EVENTS
    assert set(spec.postbacks) == set(spec.supported_events)
    for template in spec.postbacks.values():
        assert template.method == "POST"
        assert template.url == tiktok.EVENTS_API_URL
        assert "{" not in template.url


def test_the_link_mapping_keeps_the_callback_and_the_device_ids(spec: PartnerSpec) -> None:
    assert {name for name in spec.macros if name.startswith("mt_")} <= CLICK_MT_PARAMS
    assert spec.macros["callback"] == "__CALLBACK_PARAM__"
    assert spec.macros["mt_idfa"] == "__IDFA__"
    assert spec.macros["mt_gaid"] == "__GAID__"
    assert spec.macros["mt_no_redirect"] == "1"


def test_a_purchase_is_one_post_to_the_events_api_with_the_token_in_the_header(
    spec: PartnerSpec,
) -> None:
    request = build(spec, IOS_PURCHASE)
    assert request.method == "POST"
    assert request.url == "https://business-api.tiktok.com/open_api/v1.3/event/track/"
    assert request.headers == {"Access-Token": TOKEN, "Content-Type": "application/json"}
    assert body_of(request) == {
        "event_source": "app",
        "event_source_id": "7568899277611696136",
        "data": [
            {
                "event": "Purchase",
                "event_time": 1767272400,
                "event_id": "pb-2f6c1e",
                "user": {
                    "idfa": IDFA,
                    "idfv": "A1B2C3D4-0000-4000-8000-000000000001",
                    "ip": "203.0.113.7",
                    "user_agent": "Game/1.0 CFNetwork/1410 Darwin/22.6.0",
                },
                "app": {"app_id": "343200656"},
                "ad": {"callback": "E.C.P.v3ZzZXJ2aWNlX2lk"},
                "properties": {"value": 4.99, "currency": "EUR"},
            }
        ],
    }


def test_an_android_install_sends_the_gaid_lowercase_and_no_properties(
    spec: PartnerSpec,
) -> None:
    event = body_of(build(spec, ANDROID_INSTALL))["data"][0]
    assert event["event"] == "InstallApp"
    assert event["event_time"] == 1767268800
    assert event["event_id"] == "pb-0a1b2c"
    assert event["user"] == {
        "gaid": GAID,
        "ip": "2001:db8::1",
        "user_agent": "Dalvik/2.1.0 (Linux; U; Android 14)",
    }
    assert "properties" not in event
    assert "ad" not in event


@pytest.mark.parametrize(
    ("event_type", "event_name", "tiktok_event"),
    [
        ("install", "", "InstallApp"),
        ("registration", "", "Registration"),
        ("login", "", "Login"),
        ("purchase", "", "Purchase"),
        ("custom", "level_up", "level_up"),
        ("custom", "", "custom"),
    ],
)
def test_event_names_map_to_tiktok_app_events(
    spec: PartnerSpec, event_type: str, event_name: str, tiktok_event: str
) -> None:
    values = ANDROID_INSTALL | {"mt_event_type": event_type}
    if event_name:
        values["mt_event_name"] = event_name
    assert body_of(build(spec, values))["data"][0]["event"] == tiktok_event


def test_the_token_never_reaches_the_url_or_the_body(spec: PartnerSpec) -> None:
    for values in (IOS_PURCHASE, ANDROID_INSTALL):
        request = build(spec, values)
        assert TOKEN not in request.url
        assert request.body is not None and TOKEN not in request.body
        assert request.headers["Access-Token"] == TOKEN


def test_the_request_comes_from_the_values_alone(spec: PartnerSpec) -> None:
    # Pure: the same values give the same request; the event time is the event's own.
    assert build(spec, IOS_PURCHASE) == build(spec, IOS_PURCHASE)
    later = build(spec, IOS_PURCHASE | {"mt_event_ts": "1767276000"})
    assert body_of(later)["data"][0]["event_time"] == 1767276000


@pytest.mark.parametrize("revenue", ["", "abc", "-1", "NaN", "Infinity"])
def test_a_revenue_that_is_not_an_amount_is_left_out(spec: PartnerSpec, revenue: str) -> None:
    event = body_of(build(spec, IOS_PURCHASE | {"mt_payment_sum_src": revenue}))["data"][0]
    assert event["properties"] == {"currency": "EUR"}


def test_a_missing_value_leaves_its_field_out(spec: PartnerSpec) -> None:
    values = {k: v for k, v in IOS_PURCHASE.items() if k not in ("mt_ip", "callback")}
    event = body_of(build(spec, values))["data"][0]
    assert "ip" not in event["user"]
    assert "ad" not in event


@pytest.mark.parametrize(
    "partner",
    [None, PartnerSpec(id="tune", title="TUNE"), PartnerSpec(id="tiktok_web", title="Web")],
)
def test_other_partners_postbacks_are_left_to_other_plugins(
    partner: PartnerSpec | None,
) -> None:
    template = PostbackTemplate(url="https://example.test/pb?e={mt_event_type}")
    assert (
        tiktok.tracker_build_postback(
            partner=partner, template=template, values=IOS_PURCHASE, secret="s"
        )
        is None
    )
    response = PostbackResponse(status=200, body='{"code": 40002}')
    request = PostbackRequest(method="GET", url="https://example.test/pb")
    assert (
        tiktok.tracker_classify_response(partner=partner, request=request, response=response)
        is None
    )


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (200, '{"code": 0, "message": "OK", "request_id": "2026"}', "delivered"),
        (200, '{"code": 40002, "message": "Invalid parameters"}', "failed"),
        (200, '{"code": 40105, "message": "Access token is incorrect"}', "failed"),
        (200, '{"code": 40100, "message": "Too many requests"}', "retry"),
        (200, '{"code": 50000, "message": "System error"}', "retry"),
        (200, '{"message": "OK"}', "failed"),
        (200, '{"code": "0"}', "failed"),
        (200, "<html>OK</html>", "failed"),
        (429, "", "retry"),
        (503, "", "retry"),
        (401, '{"code": 40105}', "failed"),
    ],
)
def test_tiktok_answers_are_classified_by_their_code(
    spec: PartnerSpec, status: int, body: str, verdict: str
) -> None:
    request = build(spec, IOS_PURCHASE)
    outcome = tiktok.tracker_classify_response(
        partner=spec, request=request, response=PostbackResponse(status=status, body=body)
    )
    assert isinstance(outcome, DeliveryOutcome)
    assert outcome.verdict == verdict


def test_a_refusal_says_what_tiktok_said() -> None:
    body = '{"code": 40002, "message": "Invalid parameters"}'
    assert tiktok.classify(PostbackResponse(status=200, body=body)) == DeliveryOutcome(
        verdict="failed", reason="TikTok code 40002: Invalid parameters"
    )
