"""View stores: where projections keep their views (in memory, SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from tracker.application import postgres_env
from tracker.settings import Settings
from tracker.stores.base import TrackedRows, ViewReader, ViewStore, catch_up
from tracker.stores.memory import MemoryViewStore
from tracker.stores.postgres import PostgresViewStore
from tracker.stores.sqlite import SqliteViewStore

__all__ = [
    "MemoryViewStore",
    "PostgresViewStore",
    "SqliteViewStore",
    "TrackedRows",
    "ViewReader",
    "ViewStore",
    "catch_up",
    "open_view_store",
]


def open_view_store(settings: Settings, *, path: Path | None = None) -> ViewStore:
    """PostgreSQL when the settings name a database URL, else ``views.sqlite`` in the data
    directory (or ``path``)."""
    if settings.uses_postgres:
        env = postgres_env(settings)
        conninfo = (
            f"dbname={env['POSTGRES_DBNAME']} host={env['POSTGRES_HOST']} "
            f"port={env['POSTGRES_PORT']} user={env['POSTGRES_USER']}"
            + (f" password={env['POSTGRES_PASSWORD']}" if env["POSTGRES_PASSWORD"] else "")
        )
        return PostgresViewStore(conninfo, settings.database_schema)
    return SqliteViewStore(path or Path(settings.data_dir) / "views.sqlite")
