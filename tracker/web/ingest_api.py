"""SDK, S2S and raw-export routes (API.md "SDK", "Server-to-server events", raw export)."""

from __future__ import annotations

from quart import Blueprint

ingest_api = Blueprint("ingest_api", __name__)
