"""``GET /api/v1/reports``: the report builder over the pre-aggregated counters."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

import msgspec
import trio
from msgspec import Meta, Struct
from quart import Blueprint, Response
from quart_schema import document_response, validate_querystring

from tracker.domain.reports import DIMENSIONS, METRICS, ReportQuery
from tracker.ingest.export import CSV_CONTENT_TYPE
from tracker.services.reports import report_csv, report_query
from tracker.web.answers import CSV_CONTENT, ReportOut
from tracker.web.auth import current_principal, requires
from tracker.web.context import services, tracker
from tracker.web.openapi import answers, may_answer
from tracker.web.responses import json_response
from tracker.web.schemas import Currency, Day, TimeZone

reports_api = Blueprint("reports_api", __name__, url_prefix="/api/v1")


Filter = Annotated[str, Meta(max_length=128, pattern="^[^\\x00]*$")]


def _comma_list(names: list[str], max_length: int) -> Any:
    one = "|".join(names)
    return Annotated[str, Meta(pattern=f"^(?:{one})(?:,(?:{one}))*$", max_length=max_length)]


class ReportArgs(Struct):
    from_: Day = msgspec.field(name="from")
    to: Day
    tz: TimeZone = "UTC"
    currency: Currency = "USD"
    dimensions: _comma_list(list(DIMENSIONS), 200) = "day"  # type: ignore[valid-type]
    metrics: _comma_list([*METRICS, "events:[^,]+"], 1000) = (  # type: ignore[valid-type]
        "impressions,clicks,installs,revenue,campaign_cost"
    )
    app_id: Filter | None = None
    campaign_id: Filter | None = None
    partner_id: Filter | None = None
    link_code: Filter | None = None
    format: Literal["json", "csv"] = "json"


def query_of(args: ReportArgs, partner_id: str | None = None) -> ReportQuery:
    """The report asked for, checked; a partner token's own partner replaces any filter."""
    return report_query(
        start=args.from_,
        end=args.to,
        tz=args.tz,
        currency=args.currency,
        dimensions=args.dimensions,
        metrics=args.metrics,
        app_id=args.app_id,
        campaign_id=args.campaign_id,
        partner_id=partner_id or args.partner_id,
        link_code=args.link_code,
    )


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
    limiter = services().read_limiter
    if services().owns_views:
        await trio.to_thread.run_sync(service.catch_up, limiter=limiter)
    built = await trio.to_thread.run_sync(partial(service.report, query), limiter=limiter)
    if query_args.format == "csv":
        return Response(report_csv(built, query), content_type=CSV_CONTENT_TYPE)
    return json_response(built)
