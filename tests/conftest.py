"""Fixtures: a tracker built through the composition root on SQLite, and on PostgreSQL when
``TRACKER_TEST_POSTGRES`` names a database (``postgresql://user@host:port/dbname``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tracker.application import IngestApplication
from tracker.bootstrap import Role, Tracker, bootstrap, build_process
from tracker.settings import Settings, load_settings

ADMIN_TOKEN = "test-admin-token"
POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES", "")

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if POSTGRES_URL:
        return
    skip = pytest.mark.skip(reason="TRACKER_TEST_POSTGRES is not set")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs the PostgreSQL named by TRACKER_TEST_POSTGRES"
    )


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(store: str, tmp_path: Path) -> Iterator[Settings]:
    overrides: dict[str, object] = {
        "data_dir": str(tmp_path / "var"),
        "admin_token": ADMIN_TOKEN,
        "public_url": "http://tracker.test",
        "catalog_poll_ms": 50,
    }
    if store == "postgres":
        schema = f"t_{uuid.uuid4().hex[:12]}"
        overrides |= {"database_url": POSTGRES_URL, "database_schema": schema}
        import psycopg

        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        yield load_settings({}, **overrides)
        _drop_schema(schema)
    else:
        yield load_settings({}, **overrides)


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tracker(settings: Settings, clock: FakeClock) -> Iterator[Tracker]:
    t = bootstrap(settings, clock=clock)
    yield t
    t.close()


@pytest.fixture
async def client(tracker: Tracker) -> AsyncIterator:
    from tracker.web.app import create_app

    app = create_app(build_process(tracker, Role.SERVE))
    async with app.test_app() as test_app:
        yield test_app.test_client()


def sqlite_ingest_app(path: Path, *, cipher: bool = False) -> IngestApplication:
    """An ingest stream in a SQLite file, its states ciphered or not."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    if cipher:
        from eventsourcing.cryptography import AESCipher

        env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
        env["CIPHER_KEY"] = AESCipher.create_key(16)
    return IngestApplication(env=env)


def auth(token: str = ADMIN_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
