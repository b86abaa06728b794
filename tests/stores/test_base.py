"""View stores keep rows in key order with their tracked position, in one transaction."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import POSTGRES_URL
from tracker.application import CatalogApplication
from tracker.domain.catalog import Partner
from tracker.projections.base import Projection, Rows, prefix_range
from tracker.stores import PostgresViewStore, SqliteViewStore, ViewStore, catch_up

KEYS = ["app/b", "app/a", "app/Z", "app/é", "app/a/1", "apq", "ap", "link/x"]


def _fill(views: ViewStore) -> None:
    with views.transaction("v") as rows:
        for i, key in enumerate(KEYS):
            rows.put(key, {"n": i})


def test_rows_are_read_back_and_scanned_in_code_point_order(views: ViewStore) -> None:
    _fill(views)
    with views.transaction("v") as rows:
        assert rows.get("app/a") == {"n": 1}
        assert rows.get("missing") is None
        lo, hi = prefix_range("app/")
        assert [k for k, _ in rows.scan(lo, hi)] == ["app/Z", "app/a", "app/a/1", "app/b", "app/é"]
        assert [k for k, _ in rows.scan(lo, hi, reverse=True, limit=2)] == ["app/é", "app/b"]
        assert [k for k, _ in rows.scan("app/a", "app/b")] == ["app/a", "app/a/1"]


def test_put_replaces_and_delete_removes(views: ViewStore) -> None:
    _fill(views)
    with views.transaction("v") as rows:
        rows.put("app/a", {"n": "new"})
        rows.delete("app/b")
        rows.delete("never-there")
    with views.transaction("v") as rows:
        assert rows.get("app/a") == {"n": "new"}
        assert rows.get("app/b") is None


def test_views_are_separate(views: ViewStore) -> None:
    _fill(views)
    with views.transaction("other") as rows:
        assert list(rows.scan("", "\uffff")) == []
        rows.put("app/a", 1)
    assert dict(views.dump("v"))["app/a"] != dict(views.dump("other"))["app/a"]


def test_position_is_tracked_with_the_rows(views: ViewStore) -> None:
    assert views.position("v") == 0
    with views.transaction("v") as rows:
        rows.put("k", 1)
        rows.track(7)
    assert views.position("v") == 7
    with views.transaction("v") as rows:
        rows.put("k", 2)  # no track(): the position stays
    assert views.position("v") == 7


def test_dump_lists_every_row_in_key_order_and_drop_clears_rows_and_position(
    views: ViewStore,
) -> None:
    _fill(views)
    with views.transaction("v") as rows:
        rows.track(3)
    assert [k for k, _ in views.dump("v")] == sorted(KEYS)
    assert all(isinstance(v, bytes) for _, v in views.dump("v"))
    views.drop("v")
    assert list(views.dump("v")) == []
    assert views.position("v") == 0


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_failed_transaction_leaves_neither_rows_nor_position(kind: str, tmp_path: Path) -> None:
    views = (
        SqliteViewStore(tmp_path / "v.sqlite")
        if kind == "sqlite"
        else PostgresViewStore(POSTGRES_URL, f"v_{uuid.uuid4().hex[:12]}")
    )
    try:
        with views.transaction("v") as rows:
            rows.put("a", 1)
            rows.track(1)
        with pytest.raises(RuntimeError), views.transaction("v") as rows:
            rows.put("a", 2)
            rows.put("b", 3)
            rows.track(2)
            raise RuntimeError("projection bug")
        assert views.position("v") == 1
        with views.transaction("v") as rows:
            assert rows.get("a") == 1
            assert rows.get("b") is None
    finally:
        if kind == "postgres":
            import psycopg

            schema = views._schema  # type: ignore[attr-defined]
            views.close()
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        else:
            views.close()


def test_sqlite_views_survive_reopening(tmp_path: Path) -> None:
    views = SqliteViewStore(tmp_path / "views.sqlite")
    with views.transaction("v") as rows:
        rows.put("a", {"x": [1, 2]})
        rows.track(5)
    views.close()
    reopened = SqliteViewStore(tmp_path / "views.sqlite")
    try:
        assert reopened.position("v") == 5
        with reopened.transaction("v") as rows:
            assert rows.get("a") == {"x": [1, 2]}
    finally:
        reopened.close()


class PartnerTitles(Projection):
    """A tiny projection: partner id -> title, and a count of events seen."""

    name = "partner_titles"
    application = "catalog"

    def apply(self, event: Any, rows: Rows) -> None:
        if hasattr(event, "title"):
            rows.put(f"title/{event.originator_id}", event.title)
        elif hasattr(event, "changes") and "title" in event.changes:
            rows.put(f"title/{event.originator_id}", event.changes["title"])
        rows.put("count", (rows.get("count") or 0) + 1)


def _partners(app: CatalogApplication, n: int) -> list[Partner]:
    partners = [
        Partner.create(title=f"P{i}", utm_sources=[f"p{i}"], macros={}, params={}) for i in range(n)
    ]
    app.save(*partners)
    return partners


def test_catch_up_applies_each_event_once_in_batches_and_up_to_stop(views: ViewStore) -> None:
    app = CatalogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    partners = _partners(app, 5)
    seen: list[int] = []
    assert catch_up(app, PartnerTitles(), views, stop=3, batch=2, progress=seen.append) == 3
    assert seen == [2, 3]
    assert catch_up(app, PartnerTitles(), views, batch=2) == 5
    assert catch_up(app, PartnerTitles(), views) == 5  # nothing new: nothing applied twice
    partners[0].update(title="Renamed")
    app.save(partners[0])
    assert catch_up(app, PartnerTitles(), views) == 6
    with views.transaction("partner_titles") as rows:
        assert rows.get("count") == 6
        assert rows.get(f"title/{partners[0].id}") == "Renamed"
        assert rows.get(f"title/{partners[4].id}") == "P4"


def test_a_dropped_view_is_rebuilt_equal(views: ViewStore) -> None:
    app = CatalogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    _partners(app, 4)
    catch_up(app, PartnerTitles(), views)
    before = list(views.dump("partner_titles"))
    views.drop("partner_titles")
    catch_up(app, PartnerTitles(), views, batch=1)
    assert list(views.dump("partner_titles")) == before
    assert views.position("partner_titles") == 4


class _StalePosition:
    """A view store seen by a catch-up that read the position before a rival committed."""

    def __init__(self, inner: ViewStore) -> None:
        self._inner = inner

    def position(self, view: str) -> int:
        return 0

    def transaction(self, view: str) -> Any:
        return self._inner.transaction(view)


def test_racing_catch_ups_apply_each_event_once(views: ViewStore) -> None:
    app = CatalogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    _partners(app, 3)
    assert catch_up(app, PartnerTitles(), views) == 3
    # The rival fetched events 1..3 again from its stale position; the transaction's own
    # reading of the position must make it skip them.
    assert catch_up(app, PartnerTitles(), _StalePosition(views), stop=3) == 3  # type: ignore[arg-type]
    with views.transaction("partner_titles") as rows:
        assert rows.get("count") == 3
    assert views.position("partner_titles") == 3
