"""A view store of each kind: memory, a SQLite file, and PostgreSQL (a schema of its own)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL
from tracker.stores import MemoryViewStore, PostgresViewStore, SqliteViewStore, ViewStore

# Another handle on the same views (as another process would open it); memory has none.
Reopen = Callable[[], ViewStore | None]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def reopen(kind: str, tmp_path: Path) -> Iterator[Reopen]:
    opened: list[ViewStore] = []
    schema = f"v_{uuid.uuid4().hex[:12]}"

    def open_store() -> ViewStore | None:
        if kind == "memory":
            return None
        store: ViewStore = (
            SqliteViewStore(tmp_path / "views.sqlite")
            if kind == "sqlite"
            else PostgresViewStore(POSTGRES_URL, schema)
        )
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()
    if kind == "postgres":
        import psycopg

        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def views(kind: str, reopen: Reopen) -> ViewStore:
    return reopen() or MemoryViewStore()
