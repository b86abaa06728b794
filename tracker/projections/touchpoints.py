"""The touchpoint index: clicks and impressions keyed for the attribution lookups.

Rows (values are small; the key carries the time and the id):

- ``<kind>/<app>/<field>:<id>/<ts>/<touchpoint id>`` -> ``[link_code, platform, partner_id]``
  for each device id the touchpoint carries
  (``click/<app>/gaid:3f.../20261101T120000.000000/<click id>``);
- ``click/<app>/fp:<ip>|<normalised ua>/<ts>/<click id>`` for probabilistic matching (clicks
  only);
- ``clickid/<click id>`` -> ``[ts, link_code, app_id, platform, partner_id]`` for the install
  referrer.

``<app>`` is the link's app; a smart link has none, so its touchpoints are indexed under ``*``
and the engine matches them to an app of the platform the click came from. Lookups are reverse
key-range scans bounded by the window, so they read a few rows from disk whatever the number of
clicks kept. Every row is written by exactly one event and never changed, so applying an event
twice (two catch-ups racing) leaves the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eventsourcing.utils import get_topic

from tracker.domain.attribution import device_keys, fingerprint, key_part
from tracker.domain.ingest import ClickRecorded, ImpressionRecorded
from tracker.projections.base import Projection, Rows

ANY_APP = "*"


def ts_key(ts: datetime) -> str:
    """``20261101T120000.000000``: fixed width, so that keys sort by time (isoformat is several
    times faster than strftime, and this runs for every touchpoint)."""
    text = ts.astimezone(UTC).isoformat(timespec="microseconds")
    return text[:26].replace("-", "").replace(":", "")


def parse_ts_key(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)


def index_prefix(kind: str, app_id: str | None, key: str) -> str:
    return f"{kind}/{app_id or ANY_APP}/{key_part(key)}/"


def index_rows(
    kind: str,
    touchpoint_id: str,
    ts: datetime,
    link_code: str,
    app_id: str | None,
    platform: str | None,
    partner_id: str | None,
    device: dict[str, str],
    ip: str | None,
    ua: str | None,
    subids: dict[str, str] | None = None,
    country: str | None = None,
    cost: dict[str, Any] | None = None,
) -> list[tuple[str, Any]]:
    """The rows one touchpoint adds (also used by the bench to bulk-load). The click's SubIDs,
    country and CPI cost follow, when it has any, for the reports of the conversions it wins."""
    cpi = None
    if kind == "click" and cost and cost.get("model") == "CPI":
        cpi = {"amount": str(Decimal(cost["value"]) * cost["count"]), "currency": cost["currency"]}
    facts = {k: v for k, v in (("subids", subids), ("country", country), ("cost", cpi)) if v}
    value = [link_code, platform, partner_id, *([facts] if facts else [])]
    stamp = ts_key(ts)
    rows: list[tuple[str, Any]] = [
        (f"{index_prefix(kind, app_id, f'{field}:{v}')}{stamp}/{touchpoint_id}", value)
        for field, v in device_keys(device)
        if field != "instance_id"
    ]
    if kind == "click":
        fp = fingerprint(ip, ua)
        if fp is not None:
            rows.append((f"{index_prefix(kind, app_id, f'fp:{fp}')}{stamp}/{touchpoint_id}", value))
        clicked = [ts, link_code, app_id, platform, partner_id, *([facts] if facts else [])]
        rows.append((f"clickid/{touchpoint_id}", clicked))
    return rows


class TouchpointProjection(Projection):
    name = "touchpoints"
    application = "ingest"
    topics = (
        get_topic(ClickRecorded),
        get_topic(ImpressionRecorded),
    )

    def apply(self, event: Any, rows: Rows) -> None:
        if isinstance(event, ClickRecorded):
            kind = "click"
        elif isinstance(event, ImpressionRecorded):
            kind = "impression"
        else:
            return
        for key, value in index_rows(
            kind,
            str(event.originator_id),
            event.timestamp,
            event.link_code,
            event.app_id,
            event.platform,
            event.partner_id,
            event.device,
            event.ip,
            event.ua,
            event.subids,
            getattr(event, "country", None),
            event.cost,
        ):
            rows.put(key, value)
