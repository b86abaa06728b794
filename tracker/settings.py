"""The one settings reader: `config/default.toml`, an override file, then `TRACKER_*`."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

import msgspec

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
LIST_FIELDS = ("report_timezones",)  # comma-separated in the environment


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    data_dir: str = "./var"
    database_url: str = ""
    database_schema: str = "public"
    admin_token: str = ""
    cipher_key: str = ""
    postback_allow_private: bool = False
    postback_concurrency: int = 256
    postback_host_concurrency: int = 64
    postback_poll_ms: int = 1000
    proxy_trusted_hops: int = 0
    ingest_queue_size: int = 4096
    ingest_batch_max: int = 512
    ingest_batch_latency_ms: int = 5
    catalog_poll_ms: int = 250
    report_timezones: list[str] = msgspec.field(default_factory=lambda: ["UTC"])

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url)


def _read_toml(path: Path) -> dict:
    if not path.exists():
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Defaults from ``config/default.toml``, then ``TRACKER_CONFIG`` (a TOML file), then
    ``TRACKER_<KEY>`` variables, then keyword overrides (used by tests)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = _read_toml(CONFIG_DIR / "default.toml")
    if env.get("TRACKER_CONFIG"):
        values.update(_read_toml(Path(env["TRACKER_CONFIG"])))
    for field in Settings.__struct_fields__:
        key = f"TRACKER_{field.upper()}"
        if key in env:
            values[field] = env[key]
            if field in LIST_FIELDS:
                values[field] = [v.strip() for v in env[key].split(",") if v.strip()]
    values.update(overrides)
    try:
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as e:
        raise SystemExit(f"invalid setting: {e}") from None
