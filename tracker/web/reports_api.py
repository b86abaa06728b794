"""``GET /api/v1/reports``: the report builder over the pre-aggregated counters."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import trio
from msgspec import Meta, Struct
from quart import Blueprint, Response, current_app
from quart_schema import document_response, validate_querystring

from tracker.domain.errors import DomainError
from tracker.domain.reports import DIMENSIONS, METRICS, ReportQuery
from tracker.domain.rules import check_currency
from tracker.ingest.export import CSV_CONTENT_TYPE, csv_lines
from tracker.web.answers import CSV_CONTENT, ReportOut
from tracker.web.auth import current_principal, requires
from tracker.web.context import services, tracker
from tracker.web.openapi import answers, may_answer
from tracker.web.responses import json_response
from tracker.web.schemas import Currency, TimeZone

reports_api = Blueprint("reports_api", __name__, url_prefix="/api/v1")


def _comma_list(names: list[str], max_length: int) -> Any:
    one = "|".join(names)
    return Annotated[str, Meta(pattern=f"^(?:{one})(?:,(?:{one}))*$", max_length=max_length)]


class ReportArgs(Struct):
    from_: date = msgspec.field(name="from")
    to: date
    tz: TimeZone = "UTC"
    currency: Currency = "USD"
    dimensions: _comma_list(list(DIMENSIONS), 200) = "day"  # type: ignore[valid-type]
    metrics: _comma_list([*METRICS, "events:[^,]+"], 1000) = (  # type: ignore[valid-type]
        "impressions,clicks,installs,revenue,campaign_cost"
    )
    app_id: str | None = None
    campaign_id: str | None = None
    partner_id: str | None = None
    link_code: str | None = None
    format: Literal["json", "csv"] = "json"


def query_of(args: ReportArgs, partner_id: str | None = None) -> ReportQuery:
    """The report asked for, checked; a partner token's own partner replaces any filter."""
    try:
        ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError("tz", f"unknown time zone {args.tz!r}") from None
    check_currency("currency", args.currency)
    return ReportQuery(
        start=args.from_,
        end=args.to,
        tz=args.tz,
        currency=args.currency,
        dimensions=tuple(d.strip() for d in args.dimensions.split(",") if d.strip()),
        metrics=tuple(m.strip() for m in args.metrics.split(",") if m.strip()),
        app_id=args.app_id,
        campaign_id=args.campaign_id,
        partner_id=partner_id or args.partner_id,
        link_code=args.link_code,
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


@reports_api.get("/reports")
@requires("read")
@validate_querystring(ReportArgs)
@may_answer(422)
@document_response(ReportOut)
@answers(200, "The report: rows and totals as JSON, or CSV (totals last).", content=CSV_CONTENT)
async def report(query_args: ReportArgs) -> Response:
    """Counts, money and ratios by the dimensions asked for, over a date range in a time
    zone and a currency; JSON (rows and totals) or CSV. A partner token sees its own rows."""
    principal = current_principal()
    partner_id = principal.partner_id if principal.role == "partner" else None
    query = query_of(query_args, partner_id)
    service = tracker().reports
    limiter = current_app.config["READ_LIMITER"]
    if services().owns_views:
        t = tracker()
        await trio.to_thread.run_sync(t.update_views, limiter=limiter)
    built = await trio.to_thread.run_sync(partial(service.report, query), limiter=limiter)
    if query_args.format == "csv":
        return Response(report_csv(built, query), content_type=CSV_CONTENT_TYPE)
    return json_response(built)
