from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.attribution_world import ANDROID_UA, SDK_UA
from tracker.domain.attribution import (
    Candidates,
    Decision,
    Touchpoint,
    Trigger,
    decide,
    device_keys,
    fingerprint,
    normalise_ua,
    parse_referrer,
    span,
)
from tracker.domain.catalog import AttributionSettings

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
CLICK = "0d3f5a2e-8c1b-4d7e-9f60-1a2b3c4d5e6f"


def tp(id_: str, kind: str, hours_before: float, **fields) -> Touchpoint:
    return Touchpoint(
        id=id_,
        kind=kind,
        ts=T0 - timedelta(hours=hours_before),
        link_code="L",
        campaign_id="C",
        app_id="app",
        **fields,
    )


def install(**fields) -> Trigger:
    return Trigger(id="install-1", type="install", ts=T0, app_id="app", **fields)


def test_passed_over_says_why_with_the_window():
    old = Touchpoint(
        id="c1",
        kind="click",
        ts=T0 - timedelta(hours=168, seconds=1),
        link_code="L",
        campaign_id="C",
        app_id="app",
    )
    d = decide(install(), Candidates(clicks=(old,)), None, AttributionSettings())
    assert d.bucket == "organic"
    assert [p.reason for p in d.passed_over] == ["outside click window (168h00m01s > 168h)"]


def test_losers_are_explained_by_rank():
    d = decide(
        install(),
        Candidates(clicks=(tp("c1", "click", 2),), impressions=(tp("i1", "impression", 1),)),
        None,
        AttributionSettings(),
    )
    assert d.attribution.touchpoint_id == "c1"
    assert d.passed_over[0].reason == (
        "device-id matched impression ranks below device-id matched click"
    )


def test_touchpoints_for_another_app_or_platform_are_passed_over():
    other_app = Touchpoint(
        id="c1",
        kind="click",
        ts=T0 - timedelta(hours=1),
        link_code="L",
        campaign_id="C",
        app_id="other",
    )
    smart_ios = Touchpoint(
        id="c2",
        kind="click",
        ts=T0 - timedelta(hours=1),
        link_code="S",
        campaign_id="C",
        app_id=None,
        platform="ios",
    )
    d = decide(
        install(platform="android"),
        Candidates(clicks=(other_app, smart_ios)),
        None,
        AttributionSettings(),
    )
    assert d.bucket == "organic"
    reasons = {p.id: p.reason for p in d.passed_over}
    assert reasons["c1"] == "the link is for another app (other)"
    assert "ios" in reasons["c2"]
    smart_android = msgspec_replace(smart_ios, platform="android")
    d = decide(
        install(platform="android"),
        Candidates(clicks=(smart_android,)),
        None,
        AttributionSettings(),
    )
    assert d.attribution.touchpoint_id == "c2"


def msgspec_replace(obj, **changes):
    import msgspec

    return msgspec.structs.replace(obj, **changes)


def test_a_click_after_the_install_is_not_a_candidate():
    later = tp("c1", "click", -0.5)
    d = decide(install(), Candidates(clicks=(later,)), None, AttributionSettings())
    assert d.bucket == "organic"
    assert d.passed_over[0].reason == "after the install (0h30m00s later)"


def test_referrer_plain_once_and_twice_encoded():
    assert parse_referrer(f"mt_click_id={CLICK}&utm_source=x").click_id == CLICK
    once = parse_referrer(f"mt_click_id%3D{CLICK}%26utm_source%3Dx")
    twice = parse_referrer(f"mt_click_id%253D{CLICK}%2526utm_source%253Dx")
    assert (once.click_id, once.decoded_again) == (CLICK, True)
    assert (twice.click_id, twice.decoded_again) == (CLICK, True)
    assert parse_referrer("utm_source=google-play&utm_medium=organic").click_id is None
    bad = parse_referrer("mt_click_id=not-a-uuid")
    assert (bad.click_id, bad.bad_click_id) == (None, "not-a-uuid")
    assert parse_referrer("mt_link_id=p12345").link_code == "p12345"


def test_normalised_ua_matches_a_browser_click_to_the_sdk():
    assert normalise_ua(ANDROID_UA) == normalise_ua(SDK_UA) == "android 14|pixel 7"
    other = ANDROID_UA.replace("Pixel 7", "SM-G991B")
    assert normalise_ua(other) != normalise_ua(SDK_UA)
    assert fingerprint("1.2.3.4", SDK_UA) == "1.2.3.4|android 14|pixel 7"
    assert fingerprint(None, SDK_UA) is None


def test_device_keys_drop_zeroed_ad_ids_and_lowercase():
    keys = device_keys(
        {"instance_id": "I-1", "gaid": "00000000-0000-0000-0000-000000000000", "idfa": "AB-C"}
    )
    assert keys == [("instance_id", "i-1"), ("idfa", "ab-c")]


def test_span():
    assert span(3600 * 168) == "168h"
    assert span(3600 * 168 + 1) == "168h00m01s"


def test_decision_survives_the_event_store_shape():
    d = decide(
        install(),
        Candidates(clicks=(tp("c1", "click", 1, deep_link="app://x"),)),
        None,
        AttributionSettings(),
    )
    assert Decision.from_event(d.to_event()) == d


# properties

kinds = st.sampled_from(["click", "impression"])
hours = st.floats(min_value=-2, max_value=800, allow_nan=False)
windows = st.fixed_dictionaries(
    {
        "click_window_hours": st.integers(1, 720),
        "view_window_hours": st.integers(1, 168),
        "fingerprint_window_hours": st.integers(1, 24),
    }
)


@st.composite
def touchpoints(draw, prefix: str, kind: str | None = None):
    n = draw(st.integers(0, 4))
    return tuple(
        Touchpoint(
            id=f"{prefix}{i}",
            kind=kind or draw(kinds),
            ts=T0 - timedelta(hours=draw(hours)),
            link_code="L",
            campaign_id=f"C{i}",
            app_id=draw(st.sampled_from(["app", "app", None, "other"])),
            campaign_type=draw(st.sampled_from(["regular", "preinstall"])),
            settings=AttributionSettings(**draw(windows)),
        )
        for i in range(n)
    )


@st.composite
def candidate_sets(draw):
    referrer = draw(touchpoints("r", "click"))
    preinstall = tuple(
        Touchpoint(
            id=f"p{i}",
            kind="preinstall",
            ts=None,
            link_code="P",
            campaign_id="CP",
            campaign_type=draw(st.sampled_from(["regular", "preinstall"])),
        )
        for i in range(draw(st.integers(0, 2)))
    )
    return Candidates(
        preinstall=preinstall,
        referrer=referrer[0] if referrer else None,
        clicks=draw(touchpoints("c", "click")),
        impressions=draw(touchpoints("i", "impression")),
        fingerprint=draw(touchpoints("f", "click")),
    )


@settings(max_examples=300, deadline=None)
@given(candidate_sets(), st.randoms())
def test_every_install_lands_in_exactly_one_bucket(candidates: Candidates, rnd: random.Random):
    d = decide(install(), candidates, None, AttributionSettings())
    assert d.bucket in ("click", "impression", "preinstall", "organic")
    everyone = {
        t.id
        for t in (
            *candidates.preinstall,
            *([candidates.referrer] if candidates.referrer else []),
            *candidates.clicks,
            *candidates.impressions,
            *candidates.fingerprint,
        )
    }
    passed = {p.id for p in d.passed_over}
    if d.bucket == "organic":
        assert d.touchpoint is None and passed == everyone
    else:
        # one winner, in the bucket of its kind; everyone else is passed over with a reason
        assert d.touchpoint is not None and d.touchpoint.kind == d.bucket
        assert passed == everyone - {d.touchpoint.id}
    assert all(p.reason for p in d.passed_over)
    # the order candidates were found in does not change the decision
    shuffled = Candidates(
        preinstall=candidates.preinstall,
        referrer=candidates.referrer,
        clicks=tuple(rnd.sample(candidates.clicks, len(candidates.clicks))),
        impressions=tuple(rnd.sample(candidates.impressions, len(candidates.impressions))),
        fingerprint=tuple(rnd.sample(candidates.fingerprint, len(candidates.fingerprint))),
    )
    again = decide(install(), shuffled, None, AttributionSettings())
    assert again.attribution == d.attribution
