"""Report counters: counts and money in UTC buckets of 15 minutes, keyed by the dimensions.

Two projections, one per stream: ``touch_counts`` (impressions, clicks and the link cost of
``mt_cost_*``, over the ingest stream) and ``conversion_counts`` (installs, reinstalls,
re-engagements, in-app events, payers and revenue, over the attribution stream). A bucket of
15 minutes lets half-hour and quarter-hour time zones report exactly. Missing dimension
values are stored as ``""``. Cost by tariffs and corrections is not counted here: it is
computed from these counts and the catalog when a report is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from eventsourcing.utils import get_topic

from tracker.domain.attribution import Decision
from tracker.domain.devices import Device
from tracker.domain.ingest import ClickRecorded, ImpressionRecorded
from tracker.projections.base import Projection, Rows
from tracker.projections.tables import Column, Table

BUCKET_SECONDS = 15 * 60
MICRO = Decimal("0.000001")
SUBIDS = ("sub1", "sub2", "sub3", "sub4", "sub5")
TOUCH_DIMENSIONS = (
    "app_id",
    "campaign_id",
    "partner_id",
    "link_code",
    "country",
    "platform",
    *SUBIDS,
)
CONVERSION_DIMENSIONS = ("app_id", "campaign_id", "partner_id", "link_code", "platform")
LINK_COST_MODELS = {"CPC": "click", "CPM": "impression", "CPI": "install"}


def bucket_of(ts: datetime) -> datetime:
    """The start of the UTC quarter hour holding ``ts``."""
    seconds = int(ts.timestamp())
    return datetime.fromtimestamp(seconds - seconds % BUCKET_SECONDS, tz=ts.tzinfo)


def money(value: Decimal) -> Decimal:
    """A counter's exact decimal: at most six places (the store's scale), rounded half even."""
    return value.quantize(MICRO, rounding=ROUND_HALF_EVEN)


def _text(*names: str) -> tuple[Column, ...]:
    return tuple(Column(name, "text") for name in names)


TOUCH_COUNTS = Table(
    "touch_counts",
    columns=(
        Column("bucket", "timestamp"),
        *_text(*TOUCH_DIMENSIONS, "cost_model", "cost_currency"),
        Column("impressions", "integer"),
        Column("clicks", "integer"),
        Column("link_cost", "decimal"),
    ),
    primary_key=("bucket", *TOUCH_DIMENSIONS, "cost_model", "cost_currency"),
    indexes=(("bucket", "campaign_id"),),
)
CONVERSION_COUNTS = Table(
    "conversion_counts",
    columns=(
        Column("bucket", "timestamp"),
        *_text(*CONVERSION_DIMENSIONS, "event", "event_name", "currency"),
        Column("events", "integer"),
        Column("payers", "integer"),
        Column("revenue", "decimal"),
    ),
    primary_key=("bucket", *CONVERSION_DIMENSIONS, "event", "event_name", "currency"),
    indexes=(("bucket", "campaign_id"),),
)


class TouchCountsProjection(Projection):
    name = "touch_counts"
    application = "ingest"
    topics = (get_topic(ClickRecorded), get_topic(ImpressionRecorded))
    tables = (TOUCH_COUNTS,)

    def apply(self, event: Any, rows: Rows) -> None:
        rows.table("touch_counts").add(*self._counted(event))

    def apply_all(self, events: Sequence[Any], rows: Rows) -> None:
        # Many touches share a bucket and dimensions: one statement per cell, not per event.
        rows.table("touch_counts").add_many(self._counted(e) for e in events)

    @staticmethod
    def _counted(event: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        click = isinstance(event, ClickRecorded)
        key: dict[str, Any] = {
            "bucket": bucket_of(event.timestamp),
            "app_id": event.app_id or "",
            "campaign_id": event.campaign_id or "",
            "partner_id": event.partner_id or "",
            "link_code": event.link_code,
            "country": getattr(event, "country", None) or "",
            "platform": event.platform or "",
            "cost_model": "",
            "cost_currency": "",
        }
        for name in SUBIDS:
            key[name] = event.subids.get(name, "")
        amounts: dict[str, Any] = {"clicks": int(click), "impressions": int(not click)}
        cost = event.cost
        if cost and LINK_COST_MODELS.get(cost["model"]) == ("click" if click else "impression"):
            # CPM sums stay per thousand here (divided when reported), so no digit is lost.
            key["cost_model"] = cost["model"]
            key["cost_currency"] = cost["currency"]
            amounts["link_cost"] = money(Decimal(cost["value"]) * cost["count"])
        return key, amounts


class ConversionCountsProjection(Projection):
    name = "conversion_counts"
    application = "attribution"
    topics = (
        get_topic(Device.InstallAttributed),
        get_topic(Device.ReattributionDecided),
        get_topic(Device.InAppEventAttributed),
    )
    tables = (CONVERSION_COUNTS,)

    def apply(self, event: Any, rows: Rows) -> None:
        table = rows.table("conversion_counts")
        if isinstance(event, Device.InAppEventAttributed):
            device = rows.get(f"device/{event.originator_id}") or {}
            a = {**event.attribution, "app_id": device.get("app_id", "")}
            platform = device.get("platform", "")
            key = self._key(event.event_ts, a, platform, event.type, event.name or "")
            amounts: dict[str, Any] = {"events": 1}
            if event.type == "purchase":
                install_id = a.get("install_id") or str(event.originator_id)
                if rows.get(f"paid/{install_id}") is None:
                    rows.put(f"paid/{install_id}", True)
                    amounts["payers"] = 1
                    first = self._key(event.event_ts, a, platform, "first_payment", "")
                    table.add(first, {"events": 1})
                if event.revenue is not None and event.currency:
                    key["currency"] = event.currency
                    amounts["revenue"] = money(event.revenue)
            table.add(key, amounts)
            return
        decision = Decision.from_event(event.decision)
        kind = {"new_install": "install", "reinstall": "reinstall"}.get(decision.type)
        if decision.type == "reengagement":
            kind = "reengagement"
        if kind is None:
            return
        tp = decision.touchpoint
        device = rows.get(f"device/{event.originator_id}") or {}
        platform = (tp.platform if tp else None) or device.get("platform", "")
        if isinstance(event, Device.InstallAttributed):
            rows.put(
                f"device/{event.originator_id}",
                {"app_id": decision.app_id or event.app_id, "platform": platform or ""},
            )
        a = decision.attribution
        attribution = {
            "campaign_id": a.campaign_id,
            "partner_id": a.partner_id,
            "link_code": a.link_code,
            "app_id": decision.app_id,
        }
        table.add(self._key(decision.ts, attribution, platform or "", kind, ""), {"events": 1})

    @staticmethod
    def _key(
        ts: datetime, a: dict[str, Any], platform: str, event: str, name: str
    ) -> dict[str, Any]:
        return {
            "bucket": bucket_of(ts),
            "app_id": a.get("app_id") or "",
            "campaign_id": a.get("campaign_id") or "",
            "partner_id": a.get("partner_id") or "",
            "link_code": a.get("link_code") or "",
            "platform": platform,
            "event": event,
            "event_name": name,
            "currency": "",
        }
