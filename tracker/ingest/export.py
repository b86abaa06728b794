"""Raw export rows: clicks, impressions and SDK/S2S events as JSON lines or CSV lines."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import msgspec
from eventsourcing.utils import get_topic

from tracker.domain.errors import DomainError
from tracker.domain.ingest import (
    DEVICE_ID_FIELDS,
    SUBID_FIELDS,
    ClickRecorded,
    SdkEventReceived,
    TouchpointRecorded,
)
from tracker.ingest.records import CLICK_TOPIC, IMPRESSION_TOPIC

SDK_TOPIC = get_topic(SdkEventReceived)
KINDS = {"clicks": CLICK_TOPIC, "impressions": IMPRESSION_TOPIC, "events": SDK_TOPIC}

_json = msgspec.json.Encoder()


def rfc3339(ts: datetime) -> str:
    """A time as every export writes it: UTC, ``Z``."""
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_bound(field: str, value: str | None, *, end: bool) -> datetime | None:
    """A date (``to`` includes its whole day) or an RFC 3339 time."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        ts = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        raise DomainError(field, f"{value!r} is not a date or an RFC 3339 time") from None
    if ts.tzinfo is None:
        raise DomainError(field, "an RFC 3339 time needs its offset (e.g. Z)")
    return ts


@dataclass(frozen=True)
class RawFilter:
    kind: str
    start: datetime | None = None
    end: datetime | None = None
    app_id: str | None = None
    campaign_id: str | None = None
    link_code: str | None = None
    partner_id: str | None = None  # set for partner tokens: only their partner's rows

    def accepts(self, event: Any) -> bool:
        ts = event.event_ts if isinstance(event, SdkEventReceived) else event.timestamp
        if self.start is not None and ts < self.start:
            return False
        if self.end is not None and ts >= self.end:
            return False
        if self.app_id is not None and event.app_id != self.app_id:
            return False
        if isinstance(event, TouchpointRecorded):
            if self.campaign_id is not None and event.campaign_id != self.campaign_id:
                return False
            if self.link_code is not None and event.link_code != self.link_code:
                return False
            if self.partner_id is not None and event.partner_id != self.partner_id:
                return False
        elif self.campaign_id is not None or self.link_code is not None:
            return False
        return True


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def touch_record(event: TouchpointRecorded) -> dict[str, Any]:
    cost = event.cost
    record: dict[str, Any] = {
        ("click_id" if isinstance(event, ClickRecorded) else "impression_id"): str(
            event.originator_id
        ),
        "ts": rfc3339(event.timestamp),
        "link_code": event.link_code,
        "campaign_id": event.campaign_id,
        "partner_id": event.partner_id,
        "app_id": event.app_id,
        "platform": event.platform,
        "ip": event.ip,
        "ua": event.ua,
        "device": event.device,
        "subids": event.subids,
        "cost": None if cost is None else {**cost, "value": _money(cost["value"])},
        "params": event.params,
        "malformed": event.malformed,
        "s2s": event.s2s,
        "country": event.country,
    }
    if isinstance(event, ClickRecorded):
        record["target_url"] = event.target_url
    return record


def event_record(event: SdkEventReceived) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "id": str(event.originator_id),
        "app_id": event.app_id,
        "type": event.type,
        "name": event.name,
        "ts": rfc3339(event.event_ts),
        "received_ts": rfc3339(event.timestamp),
        "device": event.device,
        "ip": event.ip,
        "ua": event.ua,
        "referrer": event.referrer,
        "revenue": _money(event.revenue),
        "currency": event.currency,
        "params": event.params,
        "source": event.source,
        "country": event.country,
    }


def record_of(event: Any) -> dict[str, Any]:
    if isinstance(event, SdkEventReceived):
        return event_record(event)
    return touch_record(event)


_TOUCH_HEAD = ["ts", "link_code", "campaign_id", "partner_id", "app_id", "platform", "ip", "ua"]
_COST = ["cost_model", "cost_value", "cost_currency", "cost_count"]


def csv_columns(kind: str) -> list[str]:
    if kind == "events":
        return [
            *["event_id", "id", "app_id", "type", "name", "ts", "received_ts"],
            *DEVICE_ID_FIELDS,
            *["instance_id", "ip", "ua", "referrer", "revenue", "currency", "source", "params"],
            "country",
        ]
    first = "click_id" if kind == "clicks" else "impression_id"
    tail = ["target_url"] if kind == "clicks" else []
    return [
        first,
        *_TOUCH_HEAD,
        *DEVICE_ID_FIELDS,
        *SUBID_FIELDS,
        *_COST,
        "s2s",
        *tail,
        "params",
        "malformed",
        "country",
    ]


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in record.items() if k not in ("device", "subids", "cost", "params")}
    flat.update(record["device"])
    flat.update(record.get("subids") or {})
    cost = record.get("cost")
    if cost:
        flat.update({f"cost_{k}": v for k, v in cost.items()})
    flat["params"] = _json.encode(record["params"]).decode()
    if "malformed" in record:
        flat["malformed"] = _json.encode(record["malformed"]).decode()
    if "s2s" in record:
        flat["s2s"] = "1" if record["s2s"] else "0"
    return flat


CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
JSONL_CONTENT_TYPE = "application/x-ndjson"


def csv_lines(columns: list[str]) -> tuple[str, Callable[[Mapping[str, Any]], str]]:
    """``(header line, row -> one CSV line)``: cells by column name, missing ones empty, other
    keys ignored; one reused buffer, so a streamed export formats line by line."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    header = buffer.getvalue()

    def line(row: Mapping[str, Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        return buffer.getvalue()

    return header, line


def line_writer(kind: str, fmt: str) -> tuple[str, str, Callable[[Any], str]]:
    """``(content type, header text, event -> one line of text)`` for a format."""
    if fmt == "jsonl":
        return JSONL_CONTENT_TYPE, "", lambda e: _json.encode(record_of(e)).decode() + "\n"
    header, row_line = csv_lines(csv_columns(kind))
    return CSV_CONTENT_TYPE, header, lambda e: row_line(_flat(record_of(e)))
