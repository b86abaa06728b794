"""Catalog events keep the topics ``tracker.domain.catalog:<qualname>`` they were first stored
under, when the catalog was one module: they are read back, projected and shown."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import trio
from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from tests.web.api_helpers import call
from tracker.application import CatalogApplication
from tracker.bootstrap import Tracker
from tracker.codec import MsgpackTranscoder
from tracker.domain.catalog import (
    ApiToken,
    App,
    AttributionSettings,
    Campaign,
    Correction,
    FxRates,
    Partner,
    PartnerSending,
    Postback,
    TrackingLink,
    TrafficType,
)
from tracker.projections.catalog import Catalog, CatalogProjection
from tracker.replay import replay
from tracker.stores import MemoryViewStore, catch_up

AGGREGATES = [
    App,
    Partner,
    PartnerSending,
    TrafficType,
    Campaign,
    TrackingLink,
    Correction,
    Postback,
    ApiToken,
    FxRates,
]

# Every event the catalog records, as named in stores written before the catalog was a package.
STORED_EVENTS = {
    "App.Registered",
    "App.Updated",
    "App.TrafficRedirectionSet",
    "Partner.Created",
    "Partner.Updated",
    "Partner.SendingModesSet",
    "PartnerSending.Created",
    "PartnerSending.SendingModesSet",
    "TrafficType.Added",
    "TrafficType.Archived",
    "Campaign.Created",
    "Campaign.Updated",
    "Campaign.TariffAdded",
    "Campaign.TariffEnded",
    "TrackingLink.Created",
    "TrackingLink.Updated",
    "Correction.Created",
    "Correction.Deleted",
    "Postback.Configured",
    "Postback.Updated",
    "Postback.Deleted",
    "ApiToken.Issued",
    "ApiToken.Revoked",
}


def legacy(qualname: str) -> str:
    return f"tracker.domain.catalog:{qualname}"


def event_classes(cls: type[Aggregate]) -> list[type]:
    return [v for v in vars(cls).values() if isinstance(v, type) and issubclass(v, DomainEvent)]


@pytest.mark.parametrize("cls", AGGREGATES, ids=lambda c: c.__name__)
def test_an_aggregate_and_its_events_keep_their_topics(cls: type[Aggregate]) -> None:
    assert cls.__module__.startswith("tracker.domain.catalog.")
    for obj in [cls, *event_classes(cls)]:
        assert get_topic(obj) == legacy(obj.__qualname__)
        assert resolve_topic(legacy(obj.__qualname__)) is obj
        # The module that defines it names it too.
        assert resolve_topic(f"{obj.__module__}:{obj.__qualname__}") is obj


def test_every_stored_event_resolves_to_its_event_class() -> None:
    for qualname in STORED_EVENTS:
        owner, _, name = qualname.partition(".")
        cls = resolve_topic(legacy(qualname))
        assert cls is getattr(resolve_topic(legacy(owner)), name)
        assert get_topic(cls) == legacy(qualname)


def _old_history() -> tuple[App, Campaign]:
    game = App.register(
        title="Game",
        platform="web",
        store_url=None,
        bundle_id=None,
        sdk_key="sdk-old",
        attribution=AttributionSettings(),
    )
    game.update(title="Game 2")
    spring = Campaign.create(
        title="Spring", campaign_type="regular", traffic_type="media", partner_id=None
    )
    return game, spring


def _store_under_old_topics(app: CatalogApplication, *aggregates: Aggregate) -> list[str]:
    """Record the aggregates' events as a store written by the one-module catalog holds them."""
    stored: list[StoredEvent] = []
    for aggregate in aggregates:
        for domain_event in aggregate.collect_events():
            record = app.mapper.to_stored_event(domain_event)
            old_topic = legacy(type(domain_event).__qualname__)
            stored.append(dataclasses.replace(record, topic=old_topic))
    app.recorder.insert_events(stored)
    return [s.topic for s in stored]


def test_events_under_the_old_topics_are_read_back_and_projected() -> None:
    app = CatalogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    game, spring = _old_history()
    topics = _store_under_old_topics(app, game, spring)
    assert topics == [
        "tracker.domain.catalog:App.Registered",
        "tracker.domain.catalog:App.Updated",
        "tracker.domain.catalog:Campaign.Created",
    ]
    again = app.repository.get(game.id)
    assert type(again) is App and again.title == "Game 2" and again.version == 2
    assert app.repository.get(spring.id).title == "Spring"

    views = MemoryViewStore()
    catch_up(app, CatalogProjection(), views)
    catalog = Catalog(views.rows(CatalogProjection.name))
    assert catalog.app(str(game.id)).title == "Game 2"
    assert catalog.app_by_sdk_key("sdk-old").id == game.id
    assert catalog.campaign(str(spring.id)).status == "active"


@pytest.mark.usefixtures("store")
async def test_the_api_history_and_replay_show_events_under_the_old_topics(
    client: Any, tracker: Tracker
) -> None:
    with trio.fail_after(20):
        game, spring = _old_history()
        _store_under_old_topics(tracker.stores.catalog, game, spring)
        tracker.refresh_directory()

        _, shown = await call(client, "GET", f"/api/v1/campaigns/{spring.id}", expect=200)
        assert shown["title"] == "Spring"
        _, shown = await call(client, "GET", f"/api/v1/apps/{game.id}", expect=200)
        assert shown["title"] == "Game 2"

        _, page = await call(client, "GET", "/api/v1/events", expect=200)
        old = [e for e in page["events"] if e["aggregate_id"] in (str(game.id), str(spring.id))]
        assert [(e["type"], e["topic"]) for e in old] == [
            ("App.Registered", "tracker.domain.catalog:App.Registered"),
            ("App.Updated", "tracker.domain.catalog:App.Updated"),
            ("Campaign.Created", "tracker.domain.catalog:Campaign.Created"),
        ]
        assert old[1]["data"]["changes"] == {"title": "Game 2"}

        # New events are named the same way, so the history reads as one.
        await call(client, "PATCH", f"/api/v1/campaigns/{spring.id}", json={"title": "Summer"})
        _, page = await call(client, "GET", f"/api/v1/events?after={old[-1]['position']}")
        assert [e["topic"] for e in page["events"]] == ["tracker.domain.catalog:Campaign.Updated"]

        # Views name aggregates as views written before the move do: replay compares them
        # byte for byte.
        tracker.update_views()
        row = dict(tracker.views.dump(CatalogProjection.name))[f"campaign/{spring.id}"]
        assert MsgpackTranscoder().decode(row)["__topic__"] == "tracker.domain.catalog:Campaign"
        report = replay(tracker)
        assert report.equal, report.summary()
