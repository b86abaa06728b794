"""Click/impression routes (served in production by the ASGI fast path in ``asgi.py``), the
SDK and S2S event APIs, and the raw export of clicks, impressions and events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from functools import partial
from typing import Any

import trio
from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError
from quart import Blueprint, Response, current_app, request
from quart_schema import (
    document_response,
    validate_querystring,
)

from tracker.actors.supervisor import Supervisor
from tracker.bootstrap import Tracker
from tracker.domain.errors import Conflict, Forbidden, NotFound
from tracker.domain.ingest import SdkEventReceived
from tracker.ingest.export import KINDS, RawFilter, line_writer, parse_bound
from tracker.ingest.sdk import BatchOut, EventIn, S2sBatchIn, S2sQuery, SdkBatchIn, build_events
from tracker.ingest.store import stored_originator_ids
from tracker.web.auth import Unauthorized, current_principal, requires
from tracker.web.responses import error_response, json_response
from tracker.web.schemas import RawQuery, validate_body
from tracker.web.touch import TouchHandler

ingest_api = Blueprint("ingest_api", __name__)
log = logging.getLogger(__name__)

EXPORT_PAGE = 500
_store_limiter = trio.CapacityLimiter(2)


def _tracker() -> Tracker:
    return current_app.config["TRACKER"]


def _supervisor() -> Supervisor:
    return current_app.config["SUPERVISOR"]


# clicks and impressions


def _touch_handler() -> TouchHandler:
    handler = current_app.config.get("TOUCH")
    if handler is None:
        handler = TouchHandler(_tracker(), _supervisor().ingest)
        current_app.config["TOUCH"] = handler
    return handler


async def _touch(click: bool, code: str) -> Response:
    status, headers, body = await _touch_handler().handle(
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
async def click(code: str) -> Response:
    """Record a click and redirect (302) to the link's target; ``mt_no_redirect=1`` answers
    200 ``{"click_id"}``. See docs/ingest.md for the parameters."""
    return await _touch(True, code)


@ingest_api.get("/i/<code>")
async def impression(code: str) -> Response:
    """Record an impression: 204, or a 1x1 GIF with ``mt_pixel=1``; ``mt_no_redirect=1``
    answers 200 ``{"impression_id"}``."""
    return await _touch(False, code)


# SDK and S2S events


def first_occurrences(events: Sequence[SdkEventReceived]) -> dict[Any, int]:
    """Each stored id's first index in the batch (a batch may repeat an event id)."""
    first: dict[Any, int] = {}
    for i, e in enumerate(events):
        first.setdefault(e.originator_id, i)
    return first


def store_new_events(app: Application, events: Sequence[SdkEventReceived]) -> list[int]:
    """Store, in one transaction, the events whose ids are not stored yet; return the
    indexes of those newly stored. A concurrent writer of the same ids wins cleanly: the
    insert fails whole and the check runs again."""
    first = first_occurrences(events)
    for _ in range(5):
        stored = stored_originator_ids(app, first)
        new = [i for oid, i in first.items() if oid not in stored]
        if not new:
            return []
        try:
            app.recorder.insert_events([app.mapper.to_stored_event(events[i]) for i in new])
        except IntegrityError:
            continue
        return new
    raise Conflict("events", "stored concurrently by another request; send the batch again")


async def _ingest(
    batch: list[EventIn], *, app_id: str, source: str, ip: str | None, ua: str | None
) -> Response:
    tracker = _tracker()
    events = build_events(
        batch,
        app_id=app_id,
        received=tracker.clock(),
        source=source,
        ip=ip,
        ua=ua,
        country_of=tracker.country_of,
    )
    app = tracker.applications["ingest"]
    new = await trio.to_thread.run_sync(
        partial(store_new_events, app, events), limiter=_store_limiter
    )
    supervisor = _supervisor()
    if new:
        supervisor.projector.wake()
    accepted = set(new)
    # A repeated install goes to attribution again: deciding is idempotent per device, so a
    # retrying SDK gets its attribution back, and an install whose first answer failed after
    # it was stored is still decided. Other repeats would count twice, so they stay out.
    firsts = set(first_occurrences(events).values())
    decide = [
        e for i, e in enumerate(events) if i in accepted or (e.type == "install" and i in firsts)
    ]
    try:
        extras = await supervisor.attribution.on_sdk_events(decide) if decide else {}
    except Exception:
        log.exception("attribution failed for a stored batch")
        return error_response(
            503, "unavailable", "attribution: events stored but not attributed; send again"
        )
    results = []
    for i, e in enumerate(events):
        status = "accepted" if i in accepted else "duplicate"
        results.append({"event_id": e.event_id, "status": status, **extras.get(e.event_id, {})})
    return json_response({"results": results})


@ingest_api.post("/sdk/v1/events")
@validate_body(SdkBatchIn)
@document_response(BatchOut)
async def sdk_events(data: SdkBatchIn) -> Response:
    """SDK events with the app's key in ``X-SDK-Key``: at most 100, all or nothing,
    idempotent by ``event_id``."""
    key = request.headers.get("X-SDK-Key", "").strip()
    if not key:
        raise Unauthorized("X-SDK-Key", "the app's SDK key is required")
    app = _tracker().catalog.app_by_sdk_key(key)
    if app is None:
        raise Unauthorized("X-SDK-Key", "unknown SDK key")
    return await _ingest(
        data.events,
        app_id=str(app.id),
        source="sdk",
        ip=request.remote_addr,
        ua=request.headers.get("User-Agent"),
    )


@ingest_api.post("/s2s/v1/events")
@requires("write")
@validate_querystring(S2sQuery)
@validate_body(S2sBatchIn)
@document_response(BatchOut)
async def s2s_events(data: S2sBatchIn, query_args: S2sQuery) -> Response:
    """Offline events from the advertiser's servers (admin token): at most 20, all or
    nothing. The request's own IP and UA are the server's, so they are not defaulted."""
    if _tracker().catalog.app(query_args.app_id) is None:
        raise NotFound("app_id", f"no such app: {query_args.app_id}")
    return await _ingest(data.events, app_id=query_args.app_id, source="s2s", ip=None, ua=None)


# raw export


async def _rows(app: Application, flt: RawFilter, header: str, line: Any) -> AsyncIterator[bytes]:
    if header:
        yield header.encode()
    topic = KINDS[flt.kind]
    position = 0
    while True:
        notifications = await trio.to_thread.run_sync(
            partial(
                app.recorder.select_notifications,
                start=position,
                limit=EXPORT_PAGE,
                topics=(topic,),
                inclusive_of_start=False,
            ),
            limiter=_store_limiter,
        )
        if not notifications:
            return
        position = notifications[-1].id
        chunk = []
        for n in notifications:
            event = app.mapper.to_domain_event(n)
            if flt.accepts(event):
                chunk.append(line(event))
        if chunk:
            yield "".join(chunk).encode()


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
    content_type, header, line = line_writer(kind, query.format)
    app = _tracker().applications["ingest"]
    response = Response(_rows(app, flt, header, line), content_type=content_type)
    response.timeout = None
    return response


@ingest_api.get("/api/v1/raw/clicks")
@requires("read")
@validate_querystring(RawQuery)
async def raw_clicks(query_args: RawQuery) -> Response:
    """Every click, streamed as JSON lines or CSV; a partner token sees its own only."""
    return await _export("clicks", query_args)


@ingest_api.get("/api/v1/raw/impressions")
@requires("read")
@validate_querystring(RawQuery)
async def raw_impressions(query_args: RawQuery) -> Response:
    """Every impression, streamed as JSON lines or CSV; a partner token sees its own only."""
    return await _export("impressions", query_args)


@ingest_api.get("/api/v1/raw/events")
@requires("read")
@validate_querystring(RawQuery)
async def raw_events(query_args: RawQuery) -> Response:
    """Every SDK and S2S event, streamed as JSON lines or CSV."""
    return await _export("events", query_args)
