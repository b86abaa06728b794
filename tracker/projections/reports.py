"""Report counters: counts and money in UTC buckets of 15 minutes, keyed by the dimensions.

Two projections, one per stream: ``touch_counts`` (impressions, clicks and the link cost of
``mt_cost_*``, over the ingest stream) and ``conversion_counts`` (installs, reinstalls,
re-engagements, in-app events, payers and revenue, over the attribution stream; its view is
``conversion_counts_v2`` since country and SubIDs joined its dimensions). A bucket of
15 minutes lets half-hour and quarter-hour time zones report exactly. Missing dimension
values are stored as ``""``. Cost by tariffs and corrections is not counted here: it is
computed from these counts and the catalog when a report is asked for.
"""

from __future__ import annotations

import operator
import zlib
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import msgspec
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
# The same dimensions for conversions: a conversion's country is the device's when it
# converted (the install's for its in-app events); its SubIDs are those of the click it is
# attributed to.
CONVERSION_DIMENSIONS = TOUCH_DIMENSIONS
LINK_COST_MODELS = {"CPC": "click", "CPM": "impression", "CPI": "install"}
# besides the dimensions: what was converted, the revenue's currency, a CPI cost's currency
CONVERSION_KEYS = ("event", "event_name", "currency", "cost_currency")


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
        *_text(*CONVERSION_DIMENSIONS, *CONVERSION_KEYS),
        Column("events", "integer"),
        Column("payers", "integer"),
        Column("revenue", "decimal"),
        Column("link_cost", "decimal"),
    ),
    primary_key=("bucket", *CONVERSION_DIMENSIONS, *CONVERSION_KEYS),
    indexes=(("bucket", "campaign_id"),),
)


# Whole local days of the configured report zones, by campaign: what most reports ask for
# (day by campaign, partner or app), read without scanning every quarter hour.
DAY_DIMENSIONS = ("app_id", "campaign_id", "partner_id")
TOUCH_DAYS = Table(
    "touch_days",
    columns=(
        *_text("zone", "day", "utc_day", *DAY_DIMENSIONS, "cost_model", "cost_currency"),
        Column("impressions", "integer"),
        Column("clicks", "integer"),
        Column("link_cost", "decimal"),
    ),
    primary_key=("zone", "day", "utc_day", *DAY_DIMENSIONS, "cost_model", "cost_currency"),
)
TOUCH_KEY = TOUCH_COUNTS.primary_key
TOUCH_DAY_KEY = TOUCH_DAYS.primary_key
# the day cell's values after its zone, day and UTC day, read off a quarter-hour cell's key
_day_part = operator.itemgetter(*(TOUCH_KEY.index(name) for name in TOUCH_DAY_KEY[3:]))
CONVERSION_DAYS = Table(
    "conversion_days",
    columns=(
        *_text("zone", "day", "utc_day", *DAY_DIMENSIONS, *CONVERSION_KEYS),
        Column("events", "integer"),
        Column("payers", "integer"),
        Column("revenue", "decimal"),
        Column("link_cost", "decimal"),
    ),
    primary_key=("zone", "day", "utc_day", *DAY_DIMENSIONS, *CONVERSION_KEYS),
)


def view_name(base: str, zones: Sequence[str]) -> str:
    """Another set of report zones is another view, built from zero by the projector."""
    if tuple(zones) == ("UTC",):
        return base
    digest = zlib.crc32(",".join(zones).encode())
    return f"{base}_z{digest:08x}"


class _Days:
    """A quarter bucket's local day in each report zone, cached per bucket."""

    def __init__(self, zones: Sequence[str]) -> None:
        self.zones = tuple(zones)
        self._tz = [(z, ZoneInfo(z)) for z in self.zones]
        self._cache: dict[datetime, list[tuple[str, str, str]]] = {}

    def of(self, bucket: datetime) -> list[tuple[str, str, str]]:
        found = self._cache.get(bucket)
        if found is None:
            utc_day = bucket.date().isoformat()
            found = [(z, bucket.astimezone(tz).date().isoformat(), utc_day) for z, tz in self._tz]
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[bucket] = found
        return found

    def rows(
        self, key: dict[str, Any], amounts: dict[str, Any], extra: Sequence[str]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        base = {name: key[name] for name in (*DAY_DIMENSIONS, *extra)}
        return [
            ({"zone": zone, "day": day, "utc_day": utc_day, **base}, amounts)
            for zone, day, utc_day in self.of(key["bucket"])
        ]


class TouchFacts(msgspec.Struct, frozen=True):
    """What the counters read of a ``ClickRecorded`` or an ``ImpressionRecorded``."""

    click: ClassVar[bool]
    timestamp: datetime
    link_code: str
    campaign_id: str | None = None
    partner_id: str | None = None
    app_id: str | None = None
    platform: str | None = None
    subids: dict[str, str] = {}
    cost: dict[str, Any] | None = None
    country: str | None = None


class ClickFacts(TouchFacts, frozen=True):
    click = True


class ImpressionFacts(TouchFacts, frozen=True):
    click = False


class TouchCountsProjection(Projection):
    name = "touch_counts"
    application = "ingest"
    topics = (get_topic(ClickRecorded), get_topic(ImpressionRecorded))
    facts = MappingProxyType(
        {get_topic(ClickRecorded): ClickFacts, get_topic(ImpressionRecorded): ImpressionFacts}
    )
    tables = (TOUCH_COUNTS, TOUCH_DAYS)

    def __init__(self, zones: Sequence[str] = ("UTC",)) -> None:
        self.days = _Days(zones)
        self.name = view_name("touch_counts", zones)
        self._buckets: dict[int, datetime] = {}

    def apply(self, event: Any, rows: Rows) -> None:
        self.apply_all([event], rows)

    def apply_all(self, events: Sequence[Any], rows: Rows) -> None:
        # Touches of one page mostly share their cells: summed here first (as tuples; a
        # rebuild makes millions), one statement per cell.
        cells: dict[tuple, list[Any]] = {}
        for event in events:
            key, cost = self._cell(event)
            found = cells.get(key)
            if found is None:
                found = cells[key] = [0, 0, None]  # impressions, clicks, link cost
            found[event.click] += 1
            if cost is not None:
                found[2] = cost if found[2] is None else found[2] + cost
        quarters = []
        days: dict[tuple, list[Any]] = {}
        for key, (impressions, clicks, cost) in cells.items():
            amounts: dict[str, Any] = {"impressions": impressions, "clicks": clicks}
            if cost is not None:
                amounts["link_cost"] = cost
            quarters.append((dict(zip(TOUCH_KEY, key, strict=True)), amounts))
            rest = _day_part(key)
            for zone_day in self.days.of(key[0]):
                day_key = zone_day + rest
                found = days.get(day_key)
                if found is None:
                    days[day_key] = [impressions, clicks, cost]
                else:
                    found[0] += impressions
                    found[1] += clicks
                    if cost is not None:
                        found[2] = cost if found[2] is None else found[2] + cost
        rows.table("touch_counts").add_many(quarters)
        rows.table("touch_days").add_many(
            (
                dict(zip(TOUCH_DAY_KEY, key, strict=True)),
                {"impressions": impressions, "clicks": clicks}
                if cost is None
                else {"impressions": impressions, "clicks": clicks, "link_cost": cost},
            )
            for key, (impressions, clicks, cost) in days.items()
        )

    def _cell(self, event: TouchFacts) -> tuple[tuple, Decimal | None]:
        """The event's quarter-hour cell (its ``TOUCH_KEY`` values) and its link cost."""
        cost = event.cost
        model = currency = ""
        amount = None
        if cost and LINK_COST_MODELS.get(cost["model"]) == (
            "click" if event.click else "impression"
        ):
            # CPM sums stay per thousand here (divided when reported), so no digit is lost.
            model, currency = cost["model"], cost["currency"]
            amount = money(Decimal(cost["value"]) * cost["count"])
        sub = event.subids.get
        key = (
            self._bucket(event.timestamp),
            event.app_id or "",
            event.campaign_id or "",
            event.partner_id or "",
            event.link_code,
            event.country or "",
            event.platform or "",
            sub("sub1", ""),
            sub("sub2", ""),
            sub("sub3", ""),
            sub("sub4", ""),
            sub("sub5", ""),
            model,
            currency,
        )
        return key, amount

    def _bucket(self, ts: datetime) -> datetime:
        quarter = int(ts.timestamp()) // BUCKET_SECONDS
        found = self._buckets.get(quarter)
        if found is None:
            if len(self._buckets) > 100_000:
                self._buckets.clear()
            found = self._buckets[quarter] = bucket_of(ts)
        return found


class _BothGrains:
    """Adds a conversion cell to the quarter-hour table and to the zones' day table."""

    def __init__(self, rows: Rows, days: _Days) -> None:
        self._quarters = rows.table("conversion_counts")
        self._days = rows.table("conversion_days")
        self._zones = days

    def add(self, key: dict[str, Any], amounts: dict[str, Any]) -> None:
        self._quarters.add(key, amounts)
        self._days.add_many(self._zones.rows(key, amounts, CONVERSION_KEYS))


class ConversionCountsProjection(Projection):
    name = "conversion_counts_v2"
    application = "attribution"
    topics = (
        get_topic(Device.InstallAttributed),
        get_topic(Device.ReattributionDecided),
        get_topic(Device.InAppEventAttributed),
    )
    tables = (CONVERSION_COUNTS, CONVERSION_DAYS)

    def __init__(self, zones: Sequence[str] = ("UTC",)) -> None:
        self.days = _Days(zones)
        self.name = view_name("conversion_counts_v2", zones)

    def apply(self, event: Any, rows: Rows) -> None:
        table = _BothGrains(rows, self.days)
        if isinstance(event, Device.InAppEventAttributed):
            device = rows.get(f"device/{event.originator_id}") or {}
            a = {**event.attribution, "app_id": device.get("app_id", "")}
            platform = device.get("platform", "")
            facts = (device.get("country", ""), device.get("subids", {}))
            key = self._key(event.event_ts, a, platform, event.type, event.name or "", facts)
            amounts: dict[str, Any] = {"events": 1}
            if event.type == "purchase":
                install_id = a.get("install_id") or str(event.originator_id)
                if rows.get(f"paid/{install_id}") is None:
                    rows.put(f"paid/{install_id}", True)
                    amounts["payers"] = 1
                    first = self._key(event.event_ts, a, platform, "first_payment", "", facts)
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
        # A decision that kept the prior attribution keeps that click's SubIDs.
        kept = decision.method == "kept"
        subids = device.get("subids", {}) if kept else (tp.subids if tp else {})
        country = decision.country or (tp.country if tp else None) or ""
        rows.put(
            f"device/{event.originator_id}",
            {
                "app_id": device.get("app_id") or decision.app_id or event.app_id,
                "platform": platform or "",
                "country": country,
                "subids": {k: v for k, v in subids.items() if k in SUBIDS},
            },
        )
        a = decision.attribution
        attribution = {
            "campaign_id": a.campaign_id,
            "partner_id": a.partner_id,
            "link_code": a.link_code,
            "app_id": decision.app_id,
        }
        facts = (country, subids)
        key = self._key(decision.ts, attribution, platform or "", kind, "", facts)
        amounts: dict[str, Any] = {"events": 1}
        if kind in ("install", "reinstall") and not kept and tp is not None and tp.cost:
            key["cost_currency"] = tp.cost["currency"]
            amounts["link_cost"] = money(Decimal(tp.cost["amount"]))
        table.add(key, amounts)

    @staticmethod
    def _key(
        ts: datetime,
        a: dict[str, Any],
        platform: str,
        event: str,
        name: str,
        facts: tuple[str, dict[str, str]],
    ) -> dict[str, Any]:
        country, subids = facts
        key = {
            "bucket": bucket_of(ts),
            "app_id": a.get("app_id") or "",
            "campaign_id": a.get("campaign_id") or "",
            "partner_id": a.get("partner_id") or "",
            "link_code": a.get("link_code") or "",
            "country": country or "",
            "platform": platform,
            "event": event,
            "event_name": name,
            "currency": "",
            "cost_currency": "",
        }
        for name_ in SUBIDS:
            key[name_] = subids.get(name_, "")
        return key
