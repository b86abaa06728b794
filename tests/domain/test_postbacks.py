"""Who hears of an attributed event, and when a failed postback is tried again."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from tracker import PartnerSpec, PostbackTemplate
from tracker.domain.postbacks import (
    PostbackConfig,
    PostbackSource,
    hook_partner,
    next_due,
    receivers,
)

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
NET = PartnerSpec(
    id="net",
    title="Net",
    postbacks={"install": PostbackTemplate(url="https://net.example/i?c={clickId}")},
)


def _source(**fields) -> PostbackSource:
    base = dict(
        id="d1",
        event_type="install",
        ts=T0,
        app_id="app",
        attributed=True,
        partner_id="net",
        campaign_id="c1",
    )
    return PostbackSource(**{**base, **fields})


def _config(**fields) -> PostbackConfig:
    base = dict(
        id="pb1",
        event="install",
        event_name=None,
        partner_id=None,
        campaign_id=None,
        app_id=None,
        mode="attributed",
        method="GET",
        url="https://own.example/",
        body=None,
    )
    return PostbackConfig(**{**base, **fields})


def _keys(source, configs=(), sending=None, partners=None) -> list[str]:
    found = receivers(
        source,
        partners={"net": NET} if partners is None else partners,
        configs=configs,
        sending=sending or {},
    )
    return [r.key for r in found]


def test_an_integrated_partner_hears_of_the_installs_it_brought():
    assert _keys(_source()) == ["partner:net"]
    assert _keys(_source(partner_id="other")) == []
    assert _keys(_source(attributed=False, partner_id=None)) == []
    assert _keys(_source(event_type="purchase")) == []  # no template for it


@pytest.mark.parametrize(("mode", "expected"), [("off", []), ("all", ["partner:net"])])
def test_the_sending_mode_per_partner_app_and_event(mode, expected):
    sending = {"net": {"app": {"install": mode}}}
    assert _keys(_source(partner_id="other"), sending=sending) == expected
    assert _keys(_source(app_id="other-app", partner_id="other"), sending=sending) == []


def test_own_postbacks_with_their_filters():
    configs = [
        _config(id="all", mode="all"),
        _config(id="attributed"),
        _config(id="other-app", app_id="x"),
        _config(id="campaign", campaign_id="c1"),
        _config(id="purchase", event="purchase"),
    ]
    organic = _source(attributed=False, partner_id=None, campaign_id=None)
    assert _keys(organic, configs, partners={}) == ["postback:all"]
    assert _keys(_source(), configs, partners={}) == [
        "postback:all",
        "postback:attributed",
        "postback:campaign",
    ]


def test_a_custom_event_postback_matches_its_event_name():
    configs = [_config(event="custom", event_name="level_up", mode="all")]
    assert _keys(_source(event_type="custom", event_name="level_up"), configs) == ["postback:pb1"]
    assert _keys(_source(event_type="custom", event_name="other"), configs) == []


def test_a_partner_postback_follows_the_partners_sending_mode_when_set():
    configs = [_config(partner_id="custom-net", mode="attributed")]
    theirs = _source(partner_id="custom-net")
    assert _keys(theirs, configs, partners={}) == ["postback:pb1"]
    assert _keys(_source(), configs, partners={}) == []  # another partner's user
    off = {"custom-net": {"app": {"install": "off"}}}
    assert _keys(theirs, configs, sending=off, partners={}) == []
    everyone = {"custom-net": {"app": {"install": "all"}}}
    assert _keys(_source(), configs, sending=everyone, partners={}) == ["postback:pb1"]


def test_retries_start_within_a_minute_grow_and_stop_after_a_day():
    at, dues = T0, []
    attempt = 1
    while (due := next_due(T0, attempt, at)) is not None:
        dues.append(due - at)
        at, attempt = due, attempt + 1
    assert dues[0] <= timedelta(minutes=1)
    assert all(a <= b for a, b in itertools.pairwise(dues))
    assert timedelta(hours=20) < at - T0 <= timedelta(hours=24)


def test_only_a_partners_own_template_goes_through_its_plugin():
    configs = [_config(partner_id="net", mode="all")]
    found = receivers(_source(), partners={"net": NET}, configs=configs, sending={})
    assert [(r.key, r.partner_id) for r in found] == [
        ("partner:net", "net"),
        ("postback:pb1", "net"),
    ]
    # The filter keeps the delivery the partner's (its token lists it); the hooks see None.
    assert [hook_partner(r.key, r.partner_id) for r in found] == ["net", None]
