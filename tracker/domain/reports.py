"""The report builder, pure: counters, tariffs, corrections and FX rates in, rows out.

Counters come in 15-minute UTC buckets (``tracker/projections/reports.py``), or already grouped
by local period and UTC day. Each is placed in the report's time zone (its local day and hour);
money is converted with the rate of its UTC day; tariff periods are UTC days, inclusive. Cost
by tariffs is computed here from the counts, so a tariff that starts in the past or ends later
changes the reports without a rebuild. A correction is spread evenly over every hour of its
period in its own time zone (a quarter of an hour's share per bucket) and shows under campaign,
partner, app, day and hour; grouped by anything else it shows under ``UNASSIGNED``. Ratios are
ratios of sums.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Context, Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import msgspec

from tracker.domain.errors import DomainError
from tracker.domain.rules import check_currency, check_day, check_no_nul, check_timezone

UNASSIGNED = "(unassigned)"
QUARTER = timedelta(minutes=15)

# dimension name -> the row field it shows as
DIMENSIONS = {
    "day": "day",
    "hour": "hour",
    "app": "app_id",
    "campaign": "campaign_id",
    "partner": "partner_id",
    "link": "link_code",
    "traffic_type": "traffic_type",
    "country": "country",
    "platform": "platform",
    **{f"sub{i}": f"sub{i}" for i in range(1, 6)},
}
# where a correction has a value; every other dimension shows it as UNASSIGNED
CORRECTION_DIMENSIONS = {"day", "hour", "app", "campaign", "partner", "traffic_type"}
COUNT_METRICS = ("impressions", "clicks", "installs", "reinstalls", "reengagements", "payers")
MONEY_METRICS = ("revenue", "cost_tariffs", "cost_links", "cost_corrections", "campaign_cost")
RATIO_METRICS = ("ctr", "cr", "ecpi", "roi")
METRICS = (*COUNT_METRICS, *MONEY_METRICS, *RATIO_METRICS)
DEFAULT_METRICS = ("impressions", "clicks", "installs", "revenue", "campaign_cost")
CPA_EVENTS = {
    "install": "installs",
    "reinstall": "reinstalls",
    "reengagement": "reengagements",
    "first_payment": "first_payments",
}


class Converter(Protocol):
    def convert(self, amount: Decimal, currency: str, to: str, day: date) -> Decimal: ...


class ReportQuery(msgspec.Struct, frozen=True, kw_only=True):
    start: date
    end: date  # inclusive
    tz: str = "UTC"
    currency: str = "USD"
    dimensions: tuple[str, ...] = ("day",)
    metrics: tuple[str, ...] = DEFAULT_METRICS
    app_id: str | None = None
    campaign_id: str | None = None
    partner_id: str | None = None
    link_code: str | None = None

    def checked(self) -> ReportQuery:
        for name in self.dimensions:
            if name not in DIMENSIONS:
                raise DomainError("dimensions", f"unknown dimension {name!r}")
        for name in self.metrics:
            if name not in METRICS and not (name.startswith("events:") and len(name) > 7):
                raise DomainError("metrics", f"unknown metric {name!r}")
        check_timezone("tz", self.tz)
        check_currency("currency", self.currency)
        check_day("from", self.start)
        check_day("to", self.end)
        for name in ("app_id", "campaign_id", "partner_id", "link_code"):
            check_no_nul(name, getattr(self, name))
        if self.end < self.start:
            raise DomainError("to", "must not be before from")
        if (self.end - self.start).days > 3660:
            raise DomainError("to", "a report covers at most ten years")
        return self

    def utc_range(self) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.tz)
        start = datetime.combine(self.start, datetime.min.time(), tzinfo=zone)
        end = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


class CampaignFacts(msgspec.Struct, frozen=True, kw_only=True):
    partner_id: str | None
    traffic_type: str
    tariffs: tuple[dict[str, Any], ...] = ()


class CorrectionFacts(msgspec.Struct, frozen=True, kw_only=True):
    campaign_id: str
    app_id: str
    amount: Decimal
    currency: str
    starts_on: date
    ends_on: date
    timezone: str


def correction_quarters(c: CorrectionFacts) -> tuple[datetime, datetime, Decimal]:
    """(first UTC quarter, end, amount per quarter): every hour of the period in the
    correction's own time zone gets the same share (a DST day has 23 or 25 of them)."""
    zone = ZoneInfo(c.timezone)
    start = datetime.combine(c.starts_on, datetime.min.time(), tzinfo=zone).astimezone(
        ZoneInfo("UTC")
    )
    end = datetime.combine(
        c.ends_on + timedelta(days=1), datetime.min.time(), tzinfo=zone
    ).astimezone(ZoneInfo("UTC"))
    quarters = int((end - start) / QUARTER)
    return start, end, c.amount / quarters


def _active(tariff: Mapping[str, Any], day: date) -> bool:
    return tariff["_starts"] <= day <= tariff["_ends"]


def _prepared(tariffs: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Tariffs with their dates and amounts parsed once per report."""
    out = []
    for t in tariffs:
        ends = t.get("ends_on")
        out.append(
            {
                **t,
                "_starts": _day(t["starts_on"]),
                "_ends": _day(ends) if ends else date.max,
                "_rate": Decimal(t["rate"]) if t.get("rate") is not None else None,
                "_percent": Decimal(t["percent"]) if t.get("percent") is not None else None,
            }
        )
    return tuple(out)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class _Placer:
    """UTC bucket -> (local day, local hour) in the report's zone, cached per bucket."""

    def __init__(self, tz: str) -> None:
        self._zone = ZoneInfo(tz)
        self._cache: dict[datetime, tuple[str, str]] = {}

    def __call__(self, bucket: datetime) -> tuple[str, str]:
        found = self._cache.get(bucket)
        if found is None:
            local = bucket.astimezone(self._zone)
            found = (local.date().isoformat(), local.strftime("%Y-%m-%dT%H:00"))
            self._cache[bucket] = found
        return found


class _Sums:
    """What one report row (or the totals) adds up."""

    __slots__ = (
        *COUNT_METRICS,
        "revenue",
        "cost_tariffs",
        "cost_links",
        "cost_corrections",
        "events",
    )

    def __init__(self) -> None:
        self.impressions = self.clicks = self.installs = self.reinstalls = 0
        self.reengagements = self.payers = 0
        self.revenue = self.cost_tariffs = self.cost_links = self.cost_corrections = _ZERO
        self.events: dict[str, int] = {}

    def add(self, other: _Sums) -> None:
        self.impressions += other.impressions
        self.clicks += other.clicks
        self.installs += other.installs
        self.reinstalls += other.reinstalls
        self.reengagements += other.reengagements
        self.payers += other.payers
        self.revenue += other.revenue
        self.cost_tariffs += other.cost_tariffs
        self.cost_links += other.cost_links
        self.cost_corrections += other.cost_corrections
        for name, n in other.events.items():
            self.events[name] = self.events.get(name, 0) + n

    @property
    def campaign_cost(self) -> Decimal:
        return self.cost_tariffs + self.cost_links + self.cost_corrections


_ZERO = Decimal(0)


class _Keys:
    """A counter row's report key: its values of the report's dimensions, in their order."""

    def __init__(self, dims: Sequence[str], tz: str) -> None:
        self._place = _Placer(tz)
        # Per dimension: the day, the hour, the campaign's traffic type, the partner (the
        # row's or its campaign's), or a value of the row itself (by its field).
        self._dims = tuple((name, DIMENSIONS[name]) for name in dims)

    def when(self, row: Mapping[str, Any]) -> tuple[tuple[str, str], date]:
        """Where a counter row is placed (its local day and hour) and the UTC day its tariffs
        and rates are taken from. A row holds a 15-minute ``bucket``, or a ``period`` (the
        start of a local day or hour) with its ``utc_day``, or a ``local_day`` already placed
        (an ISO date in the report's zone; no hour) with its ``utc_day`` as a date."""
        if "local_day" in row:
            return (row["local_day"], ""), row["utc_day"]
        if "period" in row:
            return self._place(row["period"]), row["utc_day"].date()
        return self._place(row["bucket"]), row["bucket"].date()

    def at(self, bucket: datetime) -> tuple[str, str]:
        return self._place(bucket)

    def __call__(
        self, placed: tuple[str, str], values: Mapping[str, Any], campaign: CampaignFacts | None
    ) -> tuple:
        day, hour = placed
        get = values.get
        parts = []
        for name, field in self._dims:
            if name == "day":
                parts.append(day)
            elif name == "hour":
                parts.append(hour)
            elif name == "traffic_type":
                parts.append(campaign.traffic_type if campaign else "")
            elif name == "partner":
                parts.append(get("partner_id") or (campaign.partner_id if campaign else ""))
            else:
                parts.append(get(field, ""))
        return tuple(parts)


def build_report(
    query: ReportQuery,
    *,
    touches: Iterable[Mapping[str, Any]],
    conversions: Iterable[Mapping[str, Any]],
    campaigns: Mapping[str, CampaignFacts],
    corrections: Sequence[CorrectionFacts],
    fx: Converter,
) -> dict[str, Any]:
    """``{"rows": [...], "totals": {...}}``; rows in dimension order."""
    to = query.currency
    campaigns = {
        k: msgspec.structs.replace(c, tariffs=_prepared(c.tariffs)) for k, c in campaigns.items()
    }
    dims = query.dimensions
    key_of = _Keys(dims, query.tz)
    sums: dict[tuple, _Sums] = {}

    def acc_of(key: tuple) -> _Sums:
        acc = sums.get(key)
        if acc is None:
            acc = sums[key] = _Sums()
        return acc

    def convert(amount: Decimal, currency: str, day: date) -> Decimal:
        # The report's own currency (most rows) returns before the table is asked.
        return amount if currency == to or not amount else fx.convert(amount, currency, to, day)

    # Per campaign, its CPC and CPM tariffs as (per click?, from, to, rate per unit, currency).
    touch_tariffs = {
        campaign_id: tuple(
            (
                t["model"] == "cpc",
                t["_starts"],
                t["_ends"],
                t["_rate"] if t["model"] == "cpc" else t["_rate"].scaleb(-3),
                t["currency"],
            )
            for t in c.tariffs
            if t["model"] in ("cpc", "cpm")
        )
        for campaign_id, c in campaigns.items()
    }
    for row in touches:
        placed, day = key_of.when(row)
        campaign_id = row["campaign_id"]
        acc = acc_of(key_of(placed, row, campaigns.get(campaign_id)))
        clicks, impressions = row["clicks"], row["impressions"]
        acc.impressions += impressions
        acc.clicks += clicks
        if row["link_cost"] and row["cost_currency"]:
            cost = row["link_cost"] / 1000 if row["cost_model"] == "CPM" else row["link_cost"]
            acc.cost_links += convert(cost, row["cost_currency"], day)
        for per_click, starts, ends, rate, currency in touch_tariffs.get(campaign_id, ()):
            if starts <= day <= ends:
                n = clicks if per_click else impressions
                if n:
                    acc.cost_tariffs += convert(rate * n, currency, day)

    for row in conversions:
        placed, day = key_of.when(row)
        campaign = campaigns.get(row["campaign_id"])
        acc = acc_of(key_of(placed, row, campaign))
        event, name, n = row["event"], row["event_name"], row["events"]
        if event in ("install", "reinstall", "reengagement"):
            metric = CPA_EVENTS[event]
            setattr(acc, metric, getattr(acc, metric) + n)
        elif event != "first_payment":
            counted = f"events:{name if event == 'custom' and name else event}"
            acc.events[counted] = acc.events.get(counted, 0) + n
        acc.payers += row["payers"]
        revenue = _ZERO
        if row["revenue"] and row["currency"]:
            revenue = convert(row["revenue"], row["currency"], day)
            acc.revenue += revenue
        if row.get("link_cost") and row.get("cost_currency"):
            acc.cost_links += convert(row["link_cost"], row["cost_currency"], day)
        if campaign is None:
            continue
        for tariff in campaign.tariffs:
            if not _active(tariff, day):
                continue
            if tariff["model"] == "cpa" and _targets(tariff, event, name):
                acc.cost_tariffs += convert(tariff["_rate"] * n, tariff["currency"], day)
            elif tariff["model"] == "revshare" and revenue:
                acc.cost_tariffs += revenue * tariff["_percent"] / 100

    lo, hi = query.utc_range()
    for c in corrections:
        start, end, share = correction_quarters(c)
        campaign = campaigns.get(c.campaign_id)
        values = {"campaign_id": c.campaign_id, "app_id": c.app_id}
        t = max(start, lo)
        t = start + ((t - start) // QUARTER) * QUARTER
        while t < min(end, hi):
            if t >= lo:
                key = key_of(key_of.at(t), values, campaign)
                key = tuple(
                    part if name in CORRECTION_DIMENSIONS else UNASSIGNED
                    for name, part in zip(dims, key, strict=True)
                )
                acc_of(key).cost_corrections += convert(share, c.currency, t.date())
            t += QUARTER

    rows = []
    totals = _Sums()
    columns = [DIMENSIONS[name] for name in dims]
    readers = [(name, _metric(name)) for name in query.metrics]
    for key in sorted(sums):
        acc = sums[key]
        totals.add(acc)
        row = dict(zip(columns, key, strict=True))
        for name, read in readers:
            row[name] = read(acc)
        rows.append(row)
    return {"rows": rows, "totals": {name: read(totals) for name, read in readers}}


def _targets(tariff: Mapping[str, Any], event: str, name: str) -> bool:
    target = tariff.get("target")
    if target == "custom_event":
        return event == "custom" and name == tariff.get("event_name")
    return target == event


def _ratio(a: Decimal | int, b: Decimal | int) -> str | None:
    if not b:
        return None
    return _money(Decimal(a) / Decimal(b))


_MICRO = Decimal("0.000001")
# Wide enough for any amount an FX rate can make of a sum (28 digits, the default, is not).
_WIDE = Context(prec=60)


def _money(value: Decimal) -> str:
    """Exact to the micro unit, at least two places: ``3.00``, ``0.002``."""
    if not value:
        return "0.00"
    # Six places (str of a value quantized to 1e-6 is never in exponent notation), then up
    # to four trailing zeros dropped.
    text = str(value.quantize(_MICRO, context=_WIDE))
    return text[:-4] + text[-4:].rstrip("0")


def _metric(name: str) -> Callable[[_Sums], Any]:
    """How one metric is read off a row's sums."""
    if name.startswith("events:"):
        return lambda acc: acc.events.get(name, 0)
    if name in COUNT_METRICS:
        return operator.attrgetter(name)
    if name == "campaign_cost":
        return lambda acc: _money(acc.campaign_cost)
    if name in MONEY_METRICS:
        read = operator.attrgetter(name)
        return lambda acc: _money(read(acc))
    if name == "ctr":
        return lambda acc: _ratio(acc.clicks, acc.impressions)
    if name == "cr":
        return lambda acc: _ratio(acc.installs, acc.clicks)
    if name == "ecpi":
        return lambda acc: _ratio(acc.campaign_cost, acc.installs)
    if name == "roi":

        def roi(acc: _Sums) -> str | None:
            cost = acc.campaign_cost
            return _ratio(acc.revenue - cost, cost)

        return roi
    raise ValueError(f"unknown metric {name!r}")
