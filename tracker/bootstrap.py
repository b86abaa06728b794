"""The composition root: the one place that builds the store, plugins, views and services."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pluggy

from tracker.application import (
    CatalogApplication,
    TrackerApplication,
    open_applications,
    postgres_env,
)
from tracker.ingest.geo import CountryOf, country_lookup
from tracker.plugin_manager import build_plugin_manager, plugin_partners
from tracker.plugin_types import PartnerSpec
from tracker.projections.base import (
    MemoryViewStore,
    PostgresViewStore,
    Projection,
    SqliteViewStore,
    ViewStore,
    catch_up,
)
from tracker.projections.catalog import Catalog, CatalogProjection
from tracker.projections.installs import InstallsProjection
from tracker.projections.touchpoints import TouchpointProjection
from tracker.services.catalog import CatalogService
from tracker.settings import Settings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Tracker:
    settings: Settings
    applications: dict[str, TrackerApplication]
    views: ViewStore
    plugins: pluggy.PluginManager
    partners: dict[str, PartnerSpec]
    clock: Callable[[], datetime]
    projections: list[Projection]
    directory: MemoryViewStore = field(default_factory=MemoryViewStore)

    def __post_init__(self) -> None:
        self.catalog = Catalog(self.directory.rows(CatalogProjection.name))
        self.catalog_service = CatalogService(self.catalog_app, self.catalog, self.partners)

    @property
    def country_of(self) -> CountryOf:
        """IP address -> country code; the data loads on first use (web processes)."""
        return country_lookup()

    @property
    def catalog_app(self) -> CatalogApplication:
        return self.applications["catalog"]  # type: ignore[return-value]

    def refresh_directory(self) -> int:
        """Bring the in-memory catalog up to date with the store; call from one task only."""
        return catch_up(self.catalog_app, CatalogProjection(), self.directory)

    def update_views(self) -> None:
        """Bring every persisted projection up to date."""
        for projection in self.projections:
            catch_up(self.applications[projection.application], projection, self.views)

    def close(self) -> None:
        self.views.close()
        for app in self.applications.values():
            app.close()


def open_view_store(settings: Settings, *, path: Path | None = None) -> ViewStore:
    if settings.uses_postgres:
        env = postgres_env(settings)
        conninfo = (
            f"dbname={env['POSTGRES_DBNAME']} host={env['POSTGRES_HOST']} "
            f"port={env['POSTGRES_PORT']} user={env['POSTGRES_USER']}"
            + (f" password={env['POSTGRES_PASSWORD']}" if env["POSTGRES_PASSWORD"] else "")
        )
        return PostgresViewStore(conninfo, settings.database_schema)
    return SqliteViewStore(path or Path(settings.data_dir) / "views.sqlite")


def default_projections() -> list[Projection]:
    return [CatalogProjection(), TouchpointProjection(), InstallsProjection()]


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
        applications=open_applications(settings),
        views=open_view_store(settings),
        plugins=plugins,
        partners=plugin_partners(plugins),
        clock=clock,
        projections=default_projections(),
    )
    if settings.admin_token:
        tracker.catalog_service.ensure_token(settings.admin_token, role="admin", label="env")
    tracker.refresh_directory()
    return tracker


# A young-generation collection every 10,000 allocations instead of 700: each costs about the
# same whatever the threshold, and the request path allocates hundreds of objects per click.
GC_THRESHOLDS = (10_000, 10, 10)


def settle_heap_for_serving() -> None:
    """Called once a serving process has built everything it keeps for its lifetime: moves
    those objects out of the collector's sight (``gc.freeze``), so a full collection walks
    only what requests allocate (it walked the whole startup heap, about 60 ms, stalling
    every request in flight), and collects the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
