"""Planning postbacks: a page of attributed events planned in one transaction, and, when
another process planned some of them first, the rest planned one by one, none twice."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from eventsourcing.utils import get_topic

from tests.attribution_world import World, world_with_postback
from tracker.bootstrap import Tracker, bootstrap
from tracker.domain.postbacks import PostbackQueued
from tracker.settings import Settings

GAIDS = ["38400000-8CF0-11BD-B23E-10B96E40000D", "38400000-8CF0-11BD-B23E-10B96E40000E"]


def _installs(tracker: Tracker, clock, n: int) -> None:
    world, app_id, code = world_with_postback(
        tracker, "https://receiver.example/pb?id={mt_postback_id}"
    )
    for i in range(n):
        world.touch(code, clock() - timedelta(minutes=5), gaid=GAIDS[i])
        install = world.sdk(app_id, "install", clock(), instance_id=f"i{i}", gaid=GAIDS[i])
        tracker.attribution.refresh_touchpoints()
        tracker.attribution.handle(install)


def _queued(tracker: Tracker) -> list[str]:
    app = tracker.postbacks._app
    found = app.recorder.select_notifications(
        start=1, limit=1000, topics=[get_topic(PostbackQueued)]
    )
    return [str(n.originator_id) for n in found]


def test_a_page_of_sources_is_planned_once(tracker: Tracker, clock) -> None:
    _installs(tracker, clock, 2)
    assert tracker.postbacks.plan(clock()) == 2
    assert len(_queued(tracker)) == 2
    assert tracker.postbacks.plan(clock()) == 0
    assert len(tracker.postbacks.due(clock(), 10)) == 2


def test_sources_another_process_planned_first_are_not_planned_twice(
    tracker: Tracker, settings: Settings, clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="tracker.services.postbacks")
    _installs(tracker, clock, 2)
    other = bootstrap(settings, clock=clock)
    try:
        plan_events = tracker.postbacks._plan_events
        raced = []

        def racing(*args):
            if not raced:  # the other process plans the oldest source meanwhile
                raced.append(other.postbacks.plan(clock(), limit=1))
            return plan_events(*args)

        tracker.postbacks._plan_events = racing  # type: ignore[method-assign]
        assert tracker.postbacks.plan(clock()) == 2
        assert raced == [1]
        queued = _queued(tracker)
        assert len(queued) == 2 and len(set(queued)) == 2
        assert {d.delivery_id for d in tracker.postbacks.due(clock(), 10)} == set(queued)
        raced_away = [r for r in caplog.records if "another process" in r.getMessage()]
        assert len(raced_away) == 1  # refused whole, then one by one: one was planned already
    finally:
        other.close()


def test_an_own_postback_without_a_filter_tells_the_attributed_partners_params(
    tracker: Tracker, clock
) -> None:
    world = World(tracker)
    service = tracker.catalog_service
    partner = service.create_partner(
        title="Net", utm_sources=["net"], macros={}, params={"account": "acc 1"}
    )
    tracker.refresh_directory()
    app_id = world.app()
    code = world.link(app_id, partner_id=str(partner.id))
    service.configure_postback(
        title="Every attributed install",
        event="install",
        event_name=None,
        partner_id=None,
        campaign_id=None,
        app_id=None,
        mode="attributed",
        method="GET",
        url="https://receiver.example/pb?pp={mtpp_account}",
        body=None,
    )
    tracker.refresh_directory()
    world.touch(code, clock() - timedelta(minutes=5), gaid=GAIDS[0])
    install = world.sdk(app_id, "install", clock(), instance_id="i0", gaid=GAIDS[0])
    tracker.attribution.refresh_touchpoints()
    tracker.attribution.handle(install)
    tracker.postbacks.plan(clock())
    [due] = tracker.postbacks.due(clock(), 10)
    assert tracker.postbacks.request_for(due).url == "https://receiver.example/pb?pp=acc%201"
