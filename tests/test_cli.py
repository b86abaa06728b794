"""The ``tracker`` command, run in-process against the test store."""

from __future__ import annotations

import os
from typing import Any

import pytest
import trio

from tests.web.api_helpers import call, create_partner, error
from tracker.bootstrap import Tracker
from tracker.cli import main
from tracker.settings import Settings

pytestmark = pytest.mark.usefixtures("store")


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point ``load_settings()`` (which reads os.environ) at the test store."""
    for key in [k for k in os.environ if k.startswith("TRACKER_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("TRACKER_DATA_DIR", settings.data_dir)
    monkeypatch.setenv("TRACKER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("TRACKER_DATABASE_SCHEMA", settings.database_schema)


@pytest.mark.usefixtures("cli_env")
async def test_token_create_prints_a_token_that_works(
    client: Any, tracker: Tracker, capsys: pytest.CaptureFixture[str]
) -> None:
    with trio.fail_after(20):
        assert main(["token", "create", "--role", "viewer"]) == 0
        token = capsys.readouterr().out.strip()
        assert len(token) >= 20 and "\n" not in token
        tracker.refresh_directory()  # the directory actor would pick it up within a poll
        _, apps = await call(client, "GET", "/api/v1/apps", token=token, expect=200)
        assert apps == {"apps": []}
        await error(client, "POST", "/api/v1/apps", 403, token=token, json={})


@pytest.mark.usefixtures("cli_env")
async def test_a_partner_token_needs_an_existing_partner(
    client: Any, tracker: Tracker, capsys: pytest.CaptureFixture[str]
) -> None:
    with trio.fail_after(20):
        assert main(["token", "create", "--role", "partner"]) == 2
        assert "partner_id" in capsys.readouterr().err
        assert main(["token", "create", "--role", "partner", "--partner", "nope"]) == 2
        assert "no such partner" in capsys.readouterr().err
        partner = await create_partner(client)
        assert main(["token", "create", "--role", "partner", "--partner", partner["id"]]) == 0
        token = capsys.readouterr().out.strip()
        tracker.refresh_directory()
        _, campaigns = await call(client, "GET", "/api/v1/campaigns", token=token, expect=200)
        assert campaigns == {"campaigns": []}
        await error(client, "GET", "/api/v1/apps", 403, token=token)


@pytest.mark.usefixtures("cli_env")
def test_an_unknown_role_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["token", "create", "--role", "root"])
    assert exit_info.value.code == 2
    assert "--role" in capsys.readouterr().err


@pytest.mark.usefixtures("cli_env")
def test_release_creates_the_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release"]) == 0
    assert "tables ready" in capsys.readouterr().out


@pytest.mark.usefixtures("cli_env")
async def test_token_revoke_by_id(
    client: Any, tracker: Tracker, capsys: pytest.CaptureFixture[str]
) -> None:
    with trio.fail_after(20):
        _, viewer = await call(client, "POST", "/api/v1/tokens", json={"role": "viewer"})
        assert main(["token", "revoke", viewer["id"]]) == 0
        assert viewer["id"] in capsys.readouterr().out
        tracker.refresh_directory()
        await error(client, "GET", "/api/v1/apps", 401, token=viewer["token"])
        assert main(["token", "revoke", "not-a-token"]) == 2
        assert "token_id" in capsys.readouterr().err


@pytest.mark.usefixtures("cli_env")
def test_partners_lists_the_loaded_plugins_with_their_distribution_and_partners(capsys):
    assert main(["partners"]) == 0
    out = capsys.readouterr().out
    assert "system_partners: tracker 0.1.0" in out
    assert "template_postbacks: tracker 0.1.0" in out
    assert "organic (system): Organic" in out


@pytest.mark.usefixtures("cli_env")
async def test_report_prints_what_the_api_answers(
    client: Any, tracker: Tracker, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.attribution_world import World

    world = World(tracker)
    code = world.link(world.app())
    t = datetime(2026, 11, 1, 22, 50, tzinfo=UTC)
    for i in range(3):
        world.touch(code, t + timedelta(minutes=i * 10))  # 22:50, 23:00, 23:10 UTC
    span = ["--from", "2026-11-01", "--to", "2026-11-02", "--tz", "Asia/Kolkata"]
    assert main(["report", *span, "--metrics", "clicks", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["day,clicks", "2026-11-02,3", "total,3"]  # 04:20 onwards in Kolkata
    assert main(["report", *span, "--metrics", "clicks"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert [line.split() for line in table] == [
        ["day", "clicks"],
        ["2026-11-02", "3"],
        ["total", "3"],
    ]
    _, api = await call(
        client,
        "GET",
        "/api/v1/reports?from=2026-11-01&to=2026-11-02&tz=Asia/Kolkata&metrics=clicks",
    )
    assert api["rows"] == [{"day": "2026-11-02", "clicks": 3}]
    assert main(["report", "--from", "2026-11-31", "--to", "2026-12-01"]) == 2
    assert capsys.readouterr().err.startswith("error: from:")
