"""Which view store the settings open, and the names the stores' old module still lends."""

from __future__ import annotations

from pathlib import Path

from tracker.settings import Settings, load_settings
from tracker.stores import PostgresViewStore, SqliteViewStore, open_view_store


def test_the_settings_choose_the_store(settings: Settings, store: str) -> None:
    views = open_view_store(settings)
    try:
        assert type(views) is (SqliteViewStore if store == "sqlite" else PostgresViewStore)
        with views.transaction("v") as rows:
            rows.put("k", 1)
            rows.track(1)
        assert views.position("v") == 1
    finally:
        views.close()


def test_sqlite_views_live_in_the_data_dir_unless_a_path_is_given(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=str(tmp_path / "var"))
    open_view_store(settings).close()
    assert (tmp_path / "var" / "views.sqlite").exists()
    open_view_store(settings, path=tmp_path / "elsewhere.sqlite").close()
    assert (tmp_path / "elsewhere.sqlite").exists()
