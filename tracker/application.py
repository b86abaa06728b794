"""The eventsourcing Applications (one per stream) and how they are configured from settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from eventsourcing.application import Application
from eventsourcing.persistence import Transcoder

from tracker.codec import MsgpackTranscoder
from tracker.domain.devices import Device
from tracker.settings import Settings


class TrackerApplication(Application):
    # 1-based positions; PostgreSQL may leave gaps, so readers page from the last id seen.
    def construct_transcoder(self) -> Transcoder:
        return MsgpackTranscoder()


class CatalogApplication(TrackerApplication):
    """Apps, partners, campaigns, links, tariffs, corrections, postbacks, tokens."""

    name = "catalog"


class IngestApplication(TrackerApplication):
    """Clicks, impressions and SDK/S2S events: the high-volume stream."""

    name = "ingest"


class AttributionApplication(TrackerApplication):
    """Installs and attribution decisions."""

    name = "attribution"
    # A device gathers an event per in-app event; a snapshot bounds what loading one reads.
    snapshotting_intervals: ClassVar = {Device: 50}


def postgres_env(settings: Settings) -> dict[str, str]:
    url = urlsplit(settings.database_url)
    if url.scheme not in ("postgres", "postgresql"):
        raise SystemExit("TRACKER_DATABASE_URL must be a postgresql:// URL")
    return {
        "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_SCHEMA": settings.database_schema,
    }


def store_env(settings: Settings, name: str) -> dict[str, Any]:
    env: dict[str, Any] = {}
    if settings.uses_postgres:
        env["PERSISTENCE_MODULE"] = "eventsourcing.postgres"
        env.update(postgres_env(settings))
        env["POSTGRES_POOL_SIZE"] = "4"
    else:
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
        env["SQLITE_DBNAME"] = str(data_dir / f"{name}.sqlite")
        env["SQLITE_LOCK_TIMEOUT"] = "10"
    if settings.cipher_key:
        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = settings.cipher_key
    return env


@dataclass(frozen=True)
class EventStores:
    """The three event streams of one tracker, each its own eventsourcing Application."""

    catalog: CatalogApplication
    ingest: IngestApplication
    attribution: AttributionApplication

    def __iter__(self) -> Iterator[TrackerApplication]:
        return iter((self.catalog, self.ingest, self.attribution))

    def named(self, name: str) -> TrackerApplication:
        """The stream an API client names (the event history, a projection's source)."""
        for app in self:
            if app.name == name:
                return app
        raise KeyError(name)

    def close(self) -> None:
        for app in self:
            app.close()


def open_event_stores(settings: Settings) -> EventStores:
    # Pass the env explicitly: eventsourcing also reads os.environ, which must not leak in.
    def open_(cls: type[TrackerApplication]) -> Any:
        return cls(env={"PERSISTENCE_MODULE": "", **store_env(settings, cls.name)})

    return EventStores(
        catalog=open_(CatalogApplication),
        ingest=open_(IngestApplication),
        attribution=open_(AttributionApplication),
    )
