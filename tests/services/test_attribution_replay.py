"""Decisions are a function of the event history: replaying the ingest stream from zero into a
fresh attribution store gives the same decisions, and every install lands in one bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.attribution_world import ANDROID_UA, SDK_UA, World
from tracker.application import (
    AttributionApplication,
    CatalogApplication,
    EventStores,
    IngestApplication,
)
from tracker.bootstrap import Tracker, default_projections
from tracker.domain.ingest import SdkEventReceived
from tracker.plugin_manager import build_plugin_manager
from tracker.settings import load_settings
from tracker.stores import MemoryViewStore, catch_up

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def in_memory_tracker(stores: dict | None = None) -> Tracker:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    fresh = {
        "catalog": CatalogApplication(env=env),
        "ingest": IngestApplication(env=env),
        "attribution": AttributionApplication(env=env),
    }
    tracker = Tracker(
        settings=load_settings({}),
        stores=EventStores(**{**fresh, **(stores or {})}),
        views=MemoryViewStore(),
        plugins=build_plugin_manager(load_entry_points=False),
        partners={},
        clock=lambda: T0,
        projections=default_projections(),
    )
    tracker.refresh_directory()
    return tracker


step = st.tuples(
    st.sampled_from(["click", "impression", "fp", "install", "launch", "purchase", "reinstall"]),
    st.integers(0, 2),  # device
    st.integers(0, 1),  # link
    st.integers(0, 60 * 24 * 12),  # minutes since the previous step
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=25), st.booleans())
def test_replay_from_zero_gives_the_same_decisions(steps, to_organic):
    live = in_memory_tracker()
    world = World(live)
    app_id = world.app(inactivity_window_days=7, reattribute_to_organic=to_organic)
    links = [world.link(app_id), world.link(app_id, click_window_hours=24)]
    service = live.attribution
    instances = [0, 0, 0]
    at = T0
    for kind, device, link, minutes in steps:
        at += timedelta(minutes=minutes)
        gaid = f"g{device}"
        if kind in ("click", "impression"):
            world.touch(links[link], at, kind=kind, gaid=gaid)
        elif kind == "fp":
            world.touch(links[link], at, ip=f"10.0.0.{device}", ua=ANDROID_UA)
        else:
            if kind == "reinstall":
                instances[device] += 1
            event = world.sdk(
                app_id,
                "install" if kind == "reinstall" else kind,
                at,
                instance_id=f"d{device}-{instances[device]}",
                gaid=gaid,
                ip=f"10.0.0.{device}",
                ua=SDK_UA,
            )
            service.refresh_touchpoints()
            service.handle(event)
    service.refresh_installs()
    decisions = list(live.views.dump("installs"))

    # every install lands in exactly one bucket
    installs = [r for k, r in live.views.rows("installs").scan("installs/", "installs/\uffff")]
    assert len({r["install_id"] for r in installs}) == len(installs)
    assert all(
        r["attribution"] in ("click", "impression", "preinstall", "organic") for r in installs
    )

    # replay: the same catalog and ingest history, a fresh attribution store and views
    again = in_memory_tracker({"catalog": live.stores.catalog, "ingest": live.stores.ingest})
    replayed = again.attribution
    ingest = live.stores.ingest
    for n in ingest.recorder.select_notifications(start=1, limit=100_000):
        event = ingest.mapper.to_domain_event(n)
        if isinstance(event, SdkEventReceived):
            catch_up(ingest, replayed.touchpoints, again.views, stop=n.id)
            replayed.handle(event)
    replayed.refresh_installs()
    assert list(again.views.dump("installs")) == decisions
