"""The attributor through a real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import trio

from tests.attribution_world import ANDROID_UA, SDK_UA, World
from tests.domain.attribution_scenarios import SCENARIOS, T0, Scenario, Step
from tracker.actors.attributor import AttributorActor
from tracker.bootstrap import Tracker
from tracker.domain.devices import Device
from tracker.projections.touchpoints import ts_key
from tracker.replay import replay
from tracker.services.attribution import AttributionService

IP = "203.0.113.7"


def when(step: Step):
    return T0 + (step.at if isinstance(step.at, timedelta) else timedelta(0))


def decision_of(service: AttributionService, event_id: str, at) -> dict[str, Any] | None:
    service.refresh_installs()
    for _, record in service.page("attribution/", ts_key(at), ts_key(at) + "\uffff", 100):
        if record["decision_id"] == event_id:
            return record
    return None


async def play(world: World, actor: AttributorActor, scenario: Scenario) -> None:
    app_id = world.app(**scenario.app)
    ids: dict[str, int] = {}
    referrer = None
    marks: dict[str, str] = {}
    for n, step in enumerate(scenario.steps):
        ts = when(step)
        if step.kind in ("p", "p~"):
            code = world.link(app_id, campaign_type="preinstall" if step.kind == "p" else "regular")
            ids[code] = n
            marks = {"mt_link_id": code}
            continue
        if step.kind in ("c", "i", "f", "r"):
            code = world.link(app_id, **step.link)
            device = {"gaid": "g1"} if step.kind in ("c", "i") else {}
            extra = {"ip": IP, "ua": ANDROID_UA} if step.kind == "f" else {}
            tp = world.touch(
                code, ts, kind="impression" if step.kind == "i" else "click", **extra, **device
            )
            ids[tp] = n
            if step.kind == "r":
                referrer = f"mt_click_id={tp}"
            continue
        kind = {"e": "install", "l": "launch", "a": "purchase"}[step.kind]
        event = world.sdk(
            app_id,
            kind,
            ts,
            instance_id=step.instance,
            gaid="g1",
            ip=IP,
            ua=SDK_UA,
            referrer=referrer if kind == "install" else None,
            params=marks,
            revenue="1.00" if kind == "purchase" else None,
            currency="USD" if kind == "purchase" else None,
        )
        answers = await actor.on_sdk_events([event])
        if step.expect is None:
            continue
        where = f"{scenario.name}: step {n}"
        expect_type, bucket, method, winner = step.expect
        record = decision_of(actor.service, str(event.originator_id), ts)
        current = actor.service.device_attribution(app_id, {"gaid": "g1"})
        assert current is not None, where
        if expect_type in ("dup", "none"):
            assert record is None, where
            got = current["attribution"]
            assert (got["type"], got["method"]) == (bucket, method), where
            continue
        assert record is not None, where
        tp_id = record["touchpoint_id"]
        assert (record["type"], record["attribution"], record["method"]) == (
            expect_type,
            bucket,
            method,
        ), where
        assert (None if tp_id is None else ids[tp_id]) == winner, where
        if n in scenario.flags:
            flagged = "ctit_under_10s" in record["flags"]
            assert flagged == ("ctit_under_10s" in scenario.flags[n]), where
        if kind == "install":
            answer = answers[event.event_id]
            assert answer["install_id"] == record["install_id"], where
            assert answer["attribution"]["type"] == bucket, where


async def test_scenario_table_through_the_actor_and_the_store(tracker: Tracker) -> None:
    world = World(tracker)
    actor = AttributorActor(tracker.attribution)
    with trio.fail_after(120):
        async with trio.open_nursery() as nursery:
            await nursery.start(actor.run)
            for scenario in SCENARIOS:
                await play(world, actor, scenario)
            nursery.cancel_scope.cancel()
    tracker.update_views()
    report = replay(tracker)
    assert report.equal, report.summary()
    assert {v.name for v in report.views} >= {"touchpoints", "installs"}


async def test_install_answer_carries_the_deferred_deep_link_once(tracker: Tracker) -> None:
    world = World(tracker)
    app_id = world.app()
    code = world.link(app_id, deep_link="myapp://promo/42")
    world.touch(code, T0 - timedelta(minutes=5), gaid="g1")
    actor = AttributorActor(tracker.attribution)
    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            await nursery.start(actor.run)
            first = world.sdk(app_id, "install", T0, instance_id="i1", gaid="g1")
            again = world.sdk(app_id, "install", T0 + timedelta(minutes=1), instance_id="i1")
            answers = await actor.on_sdk_events([first, again])
            nursery.cancel_scope.cancel()
    assert answers[first.event_id]["deep_link"] == "myapp://promo/42"
    assert answers[first.event_id]["attribution"]["link_code"] == code
    assert "deep_link" not in answers[again.event_id]
    assert answers[again.event_id]["install_id"] == answers[first.event_id]["install_id"]


async def test_concurrent_duplicate_installs_are_attributed_once(tracker: Tracker) -> None:
    """Two actors stand for two processes: each install of each device is sent to both at
    once, with different client event ids."""
    world = World(tracker)
    app_id = world.app()
    code = world.link(app_id)
    devices = [f"dev{n}" for n in range(12)]
    for d in devices:
        world.touch(code, T0 - timedelta(hours=1), gaid=f"g-{d}")
    first, second = AttributorActor(tracker.attribution), AttributorActor(tracker.attribution)
    answers: list[dict] = []

    async def send(actor: AttributorActor, event) -> None:
        answers.append((await actor.on_sdk_events([event]))[event.event_id])

    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(first.run)
            await nursery.start(second.run)
            async with trio.open_nursery() as racing:
                for d in devices:
                    for actor in (first, second):
                        event = world.sdk(app_id, "install", T0, instance_id=d, gaid=f"g-{d}")
                        racing.start_soon(send, actor, event)
            nursery.cancel_scope.cancel()

    app = tracker.stores.attribution
    installs = [
        n
        for n in app.recorder.select_notifications(start=1, limit=10_000)
        if n.topic.endswith("Device.InstallAttributed")
    ]
    assert len(installs) == len(devices)
    assert len({a["install_id"] for a in answers}) == len(devices)
    assert all(a["attribution"]["type"] == "click" for a in answers)


class InterleavedService(AttributionService):
    """Lets another writer record the same device between this one's look-up and its save."""

    def __init__(self, tracker: Tracker, meddle) -> None:
        super().__init__(tracker.stores, tracker.catalog, tracker.views)
        self._meddle = meddle

    def find_device(self, app_id, keys, unclaimed=None):
        found = super().find_device(app_id, keys, unclaimed)
        if self._meddle is not None:
            meddle, self._meddle = self._meddle, None
            meddle()
        return found


def test_a_lost_race_is_retried_and_finds_the_winner(tracker: Tracker) -> None:
    world = World(tracker)
    app_id = world.app()
    code = world.link(app_id)
    world.touch(code, T0 - timedelta(hours=1), gaid="g1")
    winner = AttributionService(tracker.stores, tracker.catalog, tracker.views)
    winner.refresh_touchpoints()
    mine = world.sdk(app_id, "install", T0, instance_id="i1", gaid="g1")
    theirs = world.sdk(app_id, "install", T0, instance_id="i1", gaid="g1")
    won: dict = {}
    loser = InterleavedService(tracker, lambda: won.update(winner.handle(theirs)))
    answer = loser.handle(mine)
    assert won["install_id"] == str(theirs.originator_id)
    assert answer == {"install_id": won["install_id"], "attribution": won["attribution"]}


def test_in_app_events_carry_the_current_attribution(tracker: Tracker) -> None:
    world = World(tracker)
    app_id = world.app()
    code = world.link(app_id)
    world.touch(code, T0 - timedelta(hours=1), gaid="g1")
    service = AttributionService(tracker.stores, tracker.catalog, tracker.views)
    service.refresh_touchpoints()
    service.handle(world.sdk(app_id, "install", T0, instance_id="i1", gaid="g1"))
    service.handle(
        world.sdk(
            app_id,
            "purchase",
            T0 + timedelta(hours=2),
            instance_id="i1",
            revenue="4.99",
            currency="EUR",
        )
    )
    app = tracker.stores.attribution
    device_id = service.find_device(app_id, [("gaid", "g1")]).id
    events = [app.mapper.to_domain_event(s) for s in app.recorder.select_events(device_id)]
    paid = [e for e in events if type(e).__qualname__ == "Device.InAppEventAttributed"]
    assert len(paid) == 1
    assert paid[0].revenue == Decimal("4.99") and paid[0].currency == "EUR"
    assert paid[0].attribution["link_code"] == code
    assert paid[0].attribution["type"] == "click"
    device: Device = app.repository.get(device_id)
    assert device.last_activity == T0 + timedelta(hours=2)


def test_an_event_from_an_unknown_device_installs_it(tracker: Tracker) -> None:
    world = World(tracker)
    app_id = world.app()
    service = AttributionService(tracker.stores, tracker.catalog, tracker.views)
    answer = service.handle(world.sdk(app_id, "launch", T0, instance_id="i1"))
    assert answer["attribution"]["type"] == "organic"
    current = service.device_attribution(app_id, {"instance_id": "i1"})
    assert current is not None and current["install_id"] == answer["install_id"]


def test_smart_link_clicks_match_an_app_of_their_platform(tracker: Tracker) -> None:
    world = World(tracker)
    android = world.app("android")
    ios = world.app("ios")
    smart = world.link(None)
    world.touch(smart, T0 - timedelta(hours=1), platform="android", gaid="g1")
    service = AttributionService(tracker.stores, tracker.catalog, tracker.views)
    service.refresh_touchpoints()
    on_android = service.handle(world.sdk(android, "install", T0, instance_id="a", gaid="g1"))
    on_ios = service.handle(world.sdk(ios, "install", T0, instance_id="b", gaid="g1"))
    assert on_android["attribution"]["link_code"] == smart
    assert on_ios["attribution"]["type"] == "organic"


def test_many_events_of_one_device_load_from_a_snapshot(tracker: Tracker) -> None:
    world = World(tracker)
    app_id = world.app()
    service = AttributionService(tracker.stores, tracker.catalog, tracker.views)
    service.handle(world.sdk(app_id, "install", T0, instance_id="i1"))
    for n in range(120):
        service.handle(world.sdk(app_id, "login", T0 + timedelta(minutes=n), instance_id="i1"))
    app = tracker.stores.attribution
    device = service.find_device(app_id, [("instance_id", "i1")])
    assert device.version == 121
    assert list(app.snapshots.get(device.id, desc=True, limit=1))
