"""The composition root: the one place that builds the store, plugins, views and services
(``bootstrap``), and, per role, exactly the actors a process runs (``build_process``)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import pluggy
import trio

from tracker.actors.attributor import AttributorActor
from tracker.actors.directory import DirectoryActor
from tracker.actors.ingest_writer import IngestWriterActor
from tracker.actors.postback_sender import PostbackClient, PostbackSenderActor
from tracker.actors.projector import ProjectorActor
from tracker.actors.supervisor import Supervisor
from tracker.application import EventStores, open_event_stores
from tracker.ingest.geo import CountryOf, country_lookup
from tracker.plugin_manager import build_plugin_manager, plugin_partners
from tracker.plugin_types import PartnerSpec
from tracker.projections.base import Projection
from tracker.projections.catalog import Catalog, CatalogProjection
from tracker.projections.installs import InstallsProjection
from tracker.projections.outbox import OutboxProjection
from tracker.projections.reports import ConversionCountsProjection, TouchCountsProjection
from tracker.projections.touchpoints import TouchpointProjection
from tracker.services.attribution import AttributionService
from tracker.services.catalog import CatalogService
from tracker.services.export import ExportService
from tracker.services.history import HistoryService
from tracker.services.ingest import IngestService
from tracker.services.postbacks import PostbackService
from tracker.services.reports import ReportService
from tracker.services.touch import TouchService
from tracker.settings import Settings
from tracker.stores import MemoryViewStore, ViewStore, catch_up, open_view_store
from tracker.web.touch import TouchHandler


def utc_now() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    """What a process is for: ``tracker serve`` runs everything, ``tracker web`` (many of
    them) answers HTTP, ``tracker worker`` (one) keeps the views and does once-only work."""

    SERVE = "serve"
    WEB = "web"
    WORKER = "worker"

    @property
    def serves_http(self) -> bool:
        return self is not Role.WORKER

    @property
    def owns_views(self) -> bool:
        """Catches the persisted views up (the projector); a web process only reads them."""
        return self is not Role.WEB


@dataclass
class Tracker:
    """The services of one tracker and what they are built on; no actors, no tasks."""

    settings: Settings
    stores: EventStores
    views: ViewStore
    plugins: pluggy.PluginManager
    partners: dict[str, PartnerSpec]
    clock: Callable[[], datetime]
    projections: list[Projection]
    directory: MemoryViewStore = field(default_factory=MemoryViewStore)

    def __post_init__(self) -> None:
        self.catalog = Catalog(self.directory.rows(CatalogProjection.name))
        self.catalog_service = CatalogService(self.stores.catalog, self.catalog, self.partners)
        self.attribution = AttributionService(self.stores, self.catalog, self.views)
        self.postbacks = PostbackService(
            self.stores, self.catalog, self.views, self.plugins, self.partners, clock=self.clock
        )
        self.reports = ReportService(
            self.stores, self.catalog, self.views, self.settings.report_timezones
        )
        self.history = HistoryService(self.stores)
        self.export = ExportService(self.stores.ingest, self.catalog)

    @property
    def country_of(self) -> CountryOf:
        """IP address -> country code; the data loads on first use (web processes)."""
        return country_lookup()

    def refresh_directory(self) -> int:
        """Bring the in-memory catalog up to date with the store; call from one task only."""
        return catch_up(self.stores.catalog, CatalogProjection(), self.directory)

    def update_views(self) -> None:
        """Bring every persisted projection up to date."""
        for projection in self.projections:
            catch_up(self.stores.named(projection.application), projection, self.views)

    def close(self) -> None:
        self.views.close()
        self.stores.close()


def default_projections(report_zones: Sequence[str] = ("UTC",)) -> list[Projection]:
    return [
        CatalogProjection(),
        TouchpointProjection(),
        InstallsProjection(),
        OutboxProjection(),
        TouchCountsProjection(report_zones),
        ConversionCountsProjection(report_zones),
    ]


def bootstrap(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    extra_plugins: Iterable[object] = (),
    load_entry_points: bool = True,
) -> Tracker:
    plugins = build_plugin_manager(*extra_plugins, load_entry_points=load_entry_points)
    tracker = Tracker(
        settings=settings,
        stores=open_event_stores(settings),
        views=open_view_store(settings),
        plugins=plugins,
        partners=plugin_partners(plugins),
        clock=clock,
        projections=default_projections(settings.report_timezones),
    )
    if settings.admin_token:
        tracker.catalog_service.ensure_token(settings.admin_token, role="admin", label="env")
    tracker.refresh_directory()
    return tracker


@dataclass
class WebServices:
    """What the web handlers of one process call: the tracker's services and the use cases
    that hand work to this process's actors."""

    tracker: Tracker
    touch: TouchHandler
    ingest: IngestService
    postback_client: PostbackClient
    owns_views: bool
    # Store calls from handlers run in threads: writes one at a time (the catalog's
    # optimistic concurrency then rarely conflicts), reads two at a time.
    write_limiter: trio.CapacityLimiter = field(default_factory=lambda: trio.CapacityLimiter(1))
    read_limiter: trio.CapacityLimiter = field(default_factory=lambda: trio.CapacityLimiter(2))


@dataclass
class Process:
    """One process of a role: its actors under one supervisor, and, when it serves HTTP,
    what its handlers call."""

    role: Role
    tracker: Tracker
    supervisor: Supervisor
    directory: DirectoryActor
    projector: ProjectorActor | None = None
    ingest_writer: IngestWriterActor | None = None
    attributor: AttributorActor | None = None
    postback_sender: PostbackSenderActor | None = None
    web: WebServices | None = None


def build_process(tracker: Tracker, role: Role) -> Process:
    settings = tracker.settings
    directory = DirectoryActor(tracker)
    actors: list = [directory]
    projector = sender = None
    if role.owns_views:
        # A worker is woken by no writer of its own: it polls the stores more often.
        projector = ProjectorActor(tracker, idle_seconds=0.1 if role is Role.WORKER else 0.5)
        sender = PostbackSenderActor(
            tracker.postbacks,
            clock=tracker.clock,
            allow_private=settings.postback_allow_private,
            concurrency=settings.postback_concurrency,
            host_concurrency=settings.postback_host_concurrency,
            poll_seconds=settings.postback_poll_ms / 1000,
        )
        actors += [projector, sender]
    if not role.serves_http:
        return Process(
            role, tracker, Supervisor(actors), directory, projector, postback_sender=sender
        )

    def wake() -> None:
        if projector is not None:
            projector.wake()
        if sender is not None:
            sender.wake()

    writer = IngestWriterActor(
        tracker.stores.ingest,
        queue_size=settings.ingest_queue_size,
        batch_max=settings.ingest_batch_max,
        batch_latency_ms=settings.ingest_batch_latency_ms,
        on_committed=projector.wake if projector is not None else lambda: None,
        inline_when_idle=not settings.uses_postgres,
    )
    # A web process decides with the touchpoint index its worker keeps; one that owns the
    # views catches the index up itself first.
    attributor = AttributorActor(tracker.attribution, refresh_touchpoints=role.owns_views)
    web = WebServices(
        tracker=tracker,
        touch=TouchHandler(TouchService(tracker, writer)),
        ingest=IngestService(
            tracker.stores.ingest,
            attributor,
            clock=tracker.clock,
            country_of=tracker.country_of,
            on_stored=wake,
        ),
        # test-send shares the sender's client (its per-host limits) where there is one
        postback_client=sender.client
        if sender is not None
        else PostbackClient(tracker.postbacks, allow_private=settings.postback_allow_private),
        owns_views=role.owns_views,
    )
    supervisor = Supervisor([*actors, writer, attributor], draining=[writer])
    return Process(role, tracker, supervisor, directory, projector, writer, attributor, sender, web)


# A young-generation collection every 10,000 allocations instead of 700: each costs about the
# same whatever the threshold, and the request path allocates hundreds of objects per click.
GC_THRESHOLDS = (10_000, 10, 10)


def settle_heap_for_serving() -> None:
    """Called once a serving or working process (``serve``, ``web``, ``worker``, ``replay``) has
    built everything it keeps for its lifetime: moves those objects out of the collector's
    sight (``gc.freeze``), so a full collection walks only what requests and projected pages
    allocate (it walked the whole startup heap, about 60 ms, stalling every request in flight;
    a rebuild of the report counters ran a quarter slower), and collects the young generation
    less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
