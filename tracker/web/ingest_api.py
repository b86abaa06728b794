"""Click/impression routes (served in production by the ASGI fast path in ``asgi.py``), the
SDK and S2S event APIs, and the raw export of clicks, impressions and events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import trio
from quart import Blueprint, Response, g, request
from quart_schema import document_response, validate_querystring

from tracker.domain.errors import Forbidden, NotFound
from tracker.ingest.export import RawFilter, line_writer, parse_bound
from tracker.ingest.sdk import BatchOut, EventIn, S2sBatchIn, S2sQuery, SdkBatchIn
from tracker.services.export import ExportService
from tracker.web.answers import (
    EXPORT_CONTENT,
    GIF_CONTENT,
    LOCATION_HEADER,
    ClickOut,
    ImpressionOut,
)
from tracker.web.auth import current_principal, requires, requires_sdk_key
from tracker.web.context import services, tracker
from tracker.web.openapi import answers, may_answer
from tracker.web.responses import json_response
from tracker.web.schemas import RawQuery, validate_body

ingest_api = Blueprint("ingest_api", __name__)

# clicks and impressions


async def _touch(click: bool, code: str) -> Response:
    status, headers, body = await services().touch.handle(
        click=click,
        code=code,
        query=request.query_string,
        ua=request.headers.get("User-Agent"),
        ip=request.remote_addr,
    )
    response = Response(body, status=status)
    for name, value in headers:
        if name != b"content-length":
            response.headers[name.decode()] = value.decode("latin-1")
    return response


@ingest_api.get("/c/<code>")
@may_answer(503)
@document_response(ClickOut)
@answers(302, "The click is recorded; redirects to the link's target.", headers=LOCATION_HEADER)
async def click(code: str) -> Response:
    """Record a click and redirect (302) to the link's target; ``mt_no_redirect=1`` answers
    200 ``{"click_id"}``. See docs/ingest.md for the parameters."""
    return await _touch(True, code)


@ingest_api.get("/i/<code>")
@may_answer(503)
@document_response(ImpressionOut)
@answers(
    200,
    "With mt_no_redirect=1: the impression's id; with mt_pixel=1: a 1x1 GIF.",
    content=GIF_CONTENT,
)
@answers(204, "The impression is recorded; no body.")
async def impression(code: str) -> Response:
    """Record an impression: 204, or a 1x1 GIF with ``mt_pixel=1``; ``mt_no_redirect=1``
    answers 200 ``{"impression_id"}``."""
    return await _touch(False, code)


# SDK and S2S events


async def _ingest(
    batch: list[EventIn], *, app_id: str, source: str, ip: str | None, ua: str | None
) -> Response:
    results = await services().ingest.ingest(batch, app_id=app_id, source=source, ip=ip, ua=ua)
    return json_response({"results": results})


@ingest_api.post("/sdk/v1/events")
@requires_sdk_key
@validate_body(SdkBatchIn)
@may_answer(409, 503)
@document_response(BatchOut)
async def sdk_events(data: SdkBatchIn) -> Response:
    """SDK events with the app's key in ``X-SDK-Key``: at most 100, all or nothing,
    idempotent by ``event_id``."""
    return await _ingest(
        data.events,
        app_id=str(g.sdk_app.id),
        source="sdk",
        ip=request.remote_addr,
        ua=request.headers.get("User-Agent"),
    )


@ingest_api.post("/s2s/v1/events")
@requires("write")
@validate_querystring(S2sQuery)
@validate_body(S2sBatchIn)
@may_answer(503)
@document_response(BatchOut)
async def s2s_events(data: S2sBatchIn, query_args: S2sQuery) -> Response:
    """Offline events from the advertiser's servers (admin token): at most 20, all or
    nothing. The request's own IP and UA are the server's, so they are not defaulted."""
    if tracker().catalog.app(query_args.app_id) is None:
        raise NotFound("app_id", f"no such app: {query_args.app_id}")
    return await _ingest(data.events, app_id=query_args.app_id, source="s2s", ip=None, ua=None)


# raw export


async def _rows(
    service: ExportService,
    kind: str,
    accepts: Callable[[Any], bool],
    header: str,
    line: Any,
    limiter: trio.CapacityLimiter,
) -> AsyncIterator[bytes]:
    # A streamed body runs outside the request context: everything it needs is passed in.
    if header:
        yield header.encode()
    position: int | None = 0
    while position is not None:
        position, events = await trio.to_thread.run_sync(
            service.page, kind, position, accepts, limiter=limiter
        )
        if events:
            yield "".join(line(e) for e in events).encode()


async def _export(kind: str, query: RawQuery) -> Response:
    principal = current_principal()
    partner_id = principal.partner_id if principal.role == "partner" else None
    if partner_id is not None and kind == "events":
        raise Forbidden("Authorization", "a partner token exports only its clicks and impressions")
    flt = RawFilter(
        kind=kind,
        start=parse_bound("from", query.from_, end=False),
        end=parse_bound("to", query.to, end=True),
        app_id=query.app_id,
        campaign_id=query.campaign_id,
        link_code=query.link_code,
        partner_id=partner_id,
    )
    service = tracker().export
    campaigns = None if query.partner_id is None else service.partner_campaigns(query.partner_id)

    def accepts(event: Any) -> bool:
        # an SDK event has no campaign, so none is a partner's
        if campaigns is not None and getattr(event, "campaign_id", None) not in campaigns:
            return False
        return flt.accepts(event)

    content_type, header, line = line_writer(kind, query.format)
    limiter = services().read_limiter
    rows = _rows(service, kind, accepts, header, line, limiter)
    response = Response(rows, content_type=content_type)
    response.timeout = None
    return response


@ingest_api.get("/api/v1/raw/clicks")
@requires("read")
@validate_querystring(RawQuery)
@answers(200, "Clicks, one per line (JSON lines) or row (CSV).", content=EXPORT_CONTENT)
async def raw_clicks(query_args: RawQuery) -> Response:
    """Every click, streamed as JSON lines or CSV; a partner token sees its own only."""
    return await _export("clicks", query_args)


@ingest_api.get("/api/v1/raw/impressions")
@requires("read")
@validate_querystring(RawQuery)
@answers(200, "Impressions, one per line (JSON lines) or row (CSV).", content=EXPORT_CONTENT)
async def raw_impressions(query_args: RawQuery) -> Response:
    """Every impression, streamed as JSON lines or CSV; a partner token sees its own only."""
    return await _export("impressions", query_args)


@ingest_api.get("/api/v1/raw/events")
@requires("read")
@validate_querystring(RawQuery)
@answers(200, "Events, one per line (JSON lines) or row (CSV).", content=EXPORT_CONTENT)
async def raw_events(query_args: RawQuery) -> Response:
    """Every SDK and S2S event, streamed as JSON lines or CSV."""
    return await _export("events", query_args)
