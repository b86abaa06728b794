"""Reports: read the counters the query needs (grouped in SQL, by bucket and the asked
dimensions only), take tariffs, corrections and FX rates from the catalog, and let the pure
builder (``tracker/domain/reports.py``) make the rows. Blocking: run it in a thread."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from tracker.domain.reports import (
    DEFAULT_METRICS,
    DIMENSIONS,
    CampaignFacts,
    CorrectionFacts,
    ReportQuery,
    build_report,
)
from tracker.ingest.export import csv_lines
from tracker.projections.catalog import Catalog
from tracker.projections.reports import (
    CONVERSION_DIMENSIONS,
    CONVERSION_KEYS,
    DAY_DIMENSIONS,
    TOUCH_DIMENSIONS,
    ConversionCountsProjection,
    TouchCountsProjection,
)
from tracker.stores import ViewStore, catch_up

if TYPE_CHECKING:
    from tracker.application import EventStores

log = logging.getLogger(__name__)

QUARTER = timedelta(minutes=15)
TOUCH_SUMS = ("impressions", "clicks", "link_cost")
CONVERSION_SUMS = ("events", "payers", "revenue", "link_cost")
CONVERSION_EXTRA = CONVERSION_KEYS
DAY_REPORT_DIMENSIONS = {"day", "app", "campaign", "partner", "traffic_type"}


def offset_segments(tz: str, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime, int]]:
    """[lo, hi) cut where the zone's UTC offset changes (DST): (start, end, offset seconds)."""
    zone = ZoneInfo(tz)

    def offset(at: datetime) -> int:
        return int(at.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]

    segments = []
    start, current = lo, offset(lo)
    t = lo + QUARTER
    while t < hi:
        now = offset(t)
        if now != current:
            segments.append((start, t, current))
            start, current = t, now
        t += QUARTER
    segments.append((start, hi, current))
    return segments


def _names(text: str) -> tuple[str, ...]:
    """The names of a comma list, each once, in order."""
    return tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))


def report_query(
    *,
    start: date,
    end: date,
    tz: str = "UTC",
    currency: str = "USD",
    dimensions: str = "day",
    metrics: str = ",".join(DEFAULT_METRICS),
    app_id: str | None = None,
    campaign_id: str | None = None,
    partner_id: str | None = None,
    link_code: str | None = None,
) -> ReportQuery:
    """A checked query from what the API and the command line take (comma lists of names)."""
    return ReportQuery(
        start=start,
        end=end,
        tz=tz,
        currency=currency,
        dimensions=_names(dimensions),
        metrics=_names(metrics),
        app_id=app_id,
        campaign_id=campaign_id,
        partner_id=partner_id,
        link_code=link_code,
    ).checked()


def report_table(report: dict[str, Any], query: ReportQuery) -> str:
    """Aligned columns for a terminal, the totals last."""
    columns = [DIMENSIONS[d] for d in query.dimensions] + list(query.metrics)
    lines = [
        [str(row.get(c, "")) if row.get(c) is not None else "" for c in columns]
        for row in report["rows"]
    ]
    totals = [
        str(report["totals"].get(c, "")) if report["totals"].get(c) is not None else ""
        for c in columns
    ]
    if query.dimensions:
        totals[0] = "total"
    table = [columns, *lines, totals]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in table
    )


def report_csv(report: dict[str, Any], query: ReportQuery) -> str:
    columns = [DIMENSIONS[d] for d in query.dimensions] + list(query.metrics)
    header, line = csv_lines(columns)
    out = [header]
    for row in report["rows"]:
        out.append(line({k: "" if v is None else v for k, v in row.items()}))
    totals = {k: "" if v is None else v for k, v in report["totals"].items()}
    if query.dimensions:
        totals[DIMENSIONS[query.dimensions[0]]] = "total"
    out.append(line(totals))
    return "".join(out)


class ReportService:
    def __init__(
        self,
        stores: EventStores,
        catalog: Catalog,
        views: ViewStore,
        zones: Sequence[str] = ("UTC",),
    ) -> None:
        self._stores = stores
        self._catalog = catalog
        self._views = views
        self._zones = tuple(zones)
        self.touches = TouchCountsProjection(zones)
        self.conversions = ConversionCountsProjection(zones)
        for projection in (self.touches, self.conversions):
            views.declare(projection.name, projection.tables)

    def catch_up(self) -> None:
        """Bring the counters up to their streams' heads (in a process that owns the views).
        A counter that cannot take an event is logged and reported as it stands: the
        projector fails on the same event and ``/healthz`` names it."""
        for projection in (self.touches, self.conversions):
            try:
                catch_up(self._stores.named(projection.application), projection, self._views)
            except Exception:
                log.exception(
                    "the %s counters cannot catch up; reporting them as they are", projection.name
                )

    def report(self, query: ReportQuery) -> dict[str, Any]:
        query = query.checked()
        lo, hi = query.utc_range()
        columns = [DIMENSIONS[d] for d in query.dimensions if d not in ("day", "hour")]
        where: dict[str, Any] = {"bucket": [(">=", lo), ("<", hi)]}
        for name in ("app_id", "campaign_id", "link_code"):
            value = getattr(query, name)
            if value is not None:
                where[name] = value
        if query.partner_id is not None:
            # The partner's campaigns: what a partner token may see.
            mine = [
                str(c.id) for c in self._catalog.campaigns() if c.partner_id == query.partner_id
            ]
            if query.campaign_id is not None:
                mine = [c for c in mine if c == query.campaign_id]
            where["campaign_id"] = ("in", mine)  # none: no rows (organic ones have no campaign)

        def group(available: tuple[str, ...], *always: str) -> tuple[str, ...]:
            wanted = ["campaign_id", *always]
            wanted += [c for c in columns if c in available and c not in wanted]
            return tuple(wanted)

        if self._whole_days(query):
            touches, conversions = self._days(query, where, columns)
        else:
            touches, conversions = self._quarters(query, where, group, lo, hi)
        return build_report(
            query,
            touches=touches,
            conversions=conversions,
            campaigns=self._campaigns(),
            corrections=self._corrections(query),
            fx=self._catalog.fx_table(),
        )

    def _whole_days(self, query: ReportQuery) -> bool:
        return (
            query.tz in self._zones
            and set(query.dimensions) <= DAY_REPORT_DIMENSIONS
            and query.link_code is None
        )

    def _days(
        self, query: ReportQuery, where: dict[str, Any], columns: list[str]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """From the day tables: a few rows per day and campaign."""
        bounds = {
            **{k: v for k, v in where.items() if k != "bucket"},
            "zone": query.tz,
            "day": [(">=", query.start.isoformat()), ("<=", query.end.isoformat())],
        }
        dims = [c for c in columns if c in DAY_DIMENSIONS and c != "campaign_id"]
        utc_days: dict[str, date] = {}
        found = []
        for view_name, table, sums, extra in (
            (self.touches.name, "touch_days", TOUCH_SUMS, ("cost_model", "cost_currency")),
            (self.conversions.name, "conversion_days", CONVERSION_SUMS, CONVERSION_EXTRA),
        ):
            with self._views.read(view_name) as view:
                rows = view.table(table).sum(
                    sums,
                    group_by=("day", "utc_day", "campaign_id", *dims, *extra),
                    where=bounds,
                )
            for row in rows:
                row["local_day"] = row.pop("day")
                text = row["utc_day"]
                row["utc_day"] = utc_days.get(text) or utc_days.setdefault(
                    text, date.fromisoformat(text)
                )
            found.append(rows)
        return found[0], found[1]

    def _quarters(
        self,
        query: ReportQuery,
        where: dict[str, Any],
        group: Any,
        lo: datetime,
        hi: datetime,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """From the quarter-hour tables, grouped in SQL by local period and UTC day."""
        touches: list[dict[str, Any]] = []
        conversions: list[dict[str, Any]] = []
        step = 3600 if "hour" in query.dimensions else 86400
        for seg_lo, seg_hi, offset in offset_segments(query.tz, lo, hi):
            # Grouped in SQL by the local day (or hour) and the UTC day of the buckets: a
            # local day is placed whole, tariffs and FX rates still see their UTC day.
            floors = {"period": ("bucket", step, offset), "utc_day": ("bucket", 86400, 0)}
            bounds = {**where, "bucket": [(">=", seg_lo), ("<", seg_hi)]}
            with self._views.read(self.touches.name) as view:
                touches += view.table("touch_counts").sum(
                    TOUCH_SUMS,
                    group_by=group(TOUCH_DIMENSIONS, "cost_model", "cost_currency"),
                    where=bounds,
                    floors=floors,
                )
            with self._views.read(self.conversions.name) as view:
                conversions += view.table("conversion_counts").sum(
                    CONVERSION_SUMS,
                    group_by=group(CONVERSION_DIMENSIONS, *CONVERSION_EXTRA),
                    where=bounds,
                    floors=floors,
                )
        return touches, conversions

    def _campaigns(self) -> dict[str, CampaignFacts]:
        return {
            str(c.id): CampaignFacts(
                partner_id=c.partner_id,
                traffic_type=c.traffic_type,
                tariffs=tuple(c.tariffs),
            )
            for c in self._catalog.campaigns()
        }

    def _corrections(self, query: ReportQuery) -> list[CorrectionFacts]:
        if query.link_code is not None:
            return []  # a correction belongs to no link
        found = []
        for c in self._catalog.corrections():
            if c.deleted:
                continue
            if query.campaign_id not in (None, c.campaign_id):
                continue
            if query.app_id not in (None, c.app_id):
                continue
            if query.partner_id is not None:
                campaign = self._catalog.campaign(c.campaign_id)
                if campaign is None or campaign.partner_id != query.partner_id:
                    continue
            found.append(
                CorrectionFacts(
                    campaign_id=c.campaign_id,
                    app_id=c.app_id,
                    amount=c.amount,
                    currency=c.currency,
                    starts_on=c.starts_on,
                    ends_on=c.ends_on,
                    timezone=c.timezone,
                )
            )
        return found
