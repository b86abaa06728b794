"""One settings reader: config/default.toml, then TRACKER_CONFIG, then TRACKER_*, then overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.settings import CONFIG_DIR, Settings, load_settings


def test_defaults_come_from_default_toml_and_match_the_struct() -> None:
    import tomllib

    with (CONFIG_DIR / "default.toml").open("rb") as f:
        documented = tomllib.load(f)
    assert set(documented) == set(Settings.__struct_fields__)
    settings = load_settings({})
    for key, value in documented.items():
        assert getattr(settings, key) == value


def test_environment_overrides_with_conversion() -> None:
    settings = load_settings(
        {
            "TRACKER_PORT": "9001",
            "TRACKER_POSTBACK_ALLOW_PRIVATE": "1",
            "TRACKER_DATA_DIR": "/tmp/x",
            "OTHER_PORT": "1",
        }
    )
    assert settings.port == 9001
    assert settings.postback_allow_private is True
    assert settings.data_dir == "/tmp/x"


def test_a_config_file_sits_between_defaults_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "prod.toml"
    config.write_text('port = 7000\nhost = "0.0.0.0"\n')
    settings = load_settings({"TRACKER_CONFIG": str(config), "TRACKER_PORT": "7001"})
    assert (settings.host, settings.port) == ("0.0.0.0", 7001)


def test_keyword_overrides_win() -> None:
    assert load_settings({"TRACKER_PORT": "1"}, port=2).port == 2


def test_a_bad_value_stops_with_a_message_naming_it() -> None:
    with pytest.raises(SystemExit, match="port"):
        load_settings({"TRACKER_PORT": "eighty"})


def test_public_url_defaults_to_host_and_port() -> None:
    assert load_settings({}, host="h", port=1).base_url == "http://h:1"
    assert load_settings({}, public_url="https://t.example/").base_url == "https://t.example"


def test_a_database_url_switches_to_postgres() -> None:
    assert not load_settings({}).uses_postgres
    assert load_settings({"TRACKER_DATABASE_URL": "postgresql://u@h/db"}).uses_postgres
