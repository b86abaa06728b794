"""Attribution routes: ``/sdk/v1/attribution``, install explanations, raw installs/attributions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import partial
from typing import Any

import msgspec
import trio
from quart import Blueprint, Response, g
from quart_schema import document_response, validate_querystring

from tracker.domain.attribution import span
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.ingest import DEVICE_ID_FIELDS
from tracker.ingest.export import (
    CSV_CONTENT_TYPE,
    JSONL_CONTENT_TYPE,
    csv_lines,
    parse_bound,
    rfc3339,
)
from tracker.projections.installs import ATTRIBUTION_FIELDS, INSTALL_FIELDS
from tracker.projections.touchpoints import ts_key
from tracker.services.attribution import AttributionService
from tracker.web.answers import EXPORT_CONTENT, InstallExplanationOut, SdkAttributionOut
from tracker.web.auth import current_principal, requires, requires_sdk_key
from tracker.web.context import services, tracker
from tracker.web.openapi import answers, may_answer
from tracker.web.responses import json_response
from tracker.web.schemas import RawQuery

attribution_api = Blueprint("attribution_api", __name__)

EXPORT_PAGE = 1000
_json = msgspec.json.Encoder()


def _service() -> AttributionService:
    return tracker().attribution


def _limiter() -> trio.CapacityLimiter:
    return services().read_limiter


async def _installs_view_current(service: AttributionService) -> None:
    """A process that owns the views brings the installs view up to date before reading it;
    a web process reads what its worker has projected."""
    if services().owns_views:
        await trio.to_thread.run_sync(service.refresh_installs, limiter=_limiter())


async def _blocking(fn: Callable[..., Any], *args: Any) -> Any:
    return await trio.to_thread.run_sync(partial(fn, *args), limiter=_limiter())


DEVICE_QUERY_FIELDS = ("instance_id", *DEVICE_ID_FIELDS)
DeviceQuery = msgspec.defstruct(
    "DeviceQuery",
    [(name, str | None, None) for name in DEVICE_QUERY_FIELDS],
    namespace={
        "__doc__": "At least one: the SDK's instance_id or an advertising or vendor id.",
        # what sdk_attribution refuses: no id that is not blank
        "json_schema_rules": {
            "properties": {name: {"type": "string"} for name in DEVICE_QUERY_FIELDS},
            "minProperties": 1,
            "anyOf": [
                {"required": [name], "properties": {name: {"pattern": r"\S"}}}
                for name in DEVICE_QUERY_FIELDS
            ],
            "examples": [{"instance_id": "i1"}],
        },
    },
)


@attribution_api.get("/sdk/v1/attribution")
@requires_sdk_key
@validate_querystring(DeviceQuery)
@may_answer(404)
@document_response(SdkAttributionOut)
async def sdk_attribution(query_args: Any) -> Response:
    """The current attribution and deferred deep link of the device named by ``instance_id``
    (or another device id: ``gaid``, ``idfa``, ...), with the app's key in ``X-SDK-Key``."""
    app = g.sdk_app
    asked = msgspec.structs.asdict(query_args)
    device = {field: asked[field] for field in DEVICE_QUERY_FIELDS if (asked[field] or "").strip()}
    if not device:
        raise DomainError("instance_id", "name the device: instance_id or an advertising id")
    found = await _blocking(_service().device_attribution, str(app.id), device)
    if found is None:
        raise NotFound("device", "no install of this app is known for this device")
    return json_response(found)


@attribution_api.get("/api/v1/installs/<install_id>/explain")
@requires("read")
@document_response(InstallExplanationOut)
async def explain(install_id: str) -> Response:
    """Why an install is attributed as it is: the decision, its method, touchpoint, windows,
    flags and every candidate passed over with the reason."""
    service = _service()
    await _installs_view_current(service)
    record = await _blocking(service.decision_of, install_id)
    if record is None or not current_principal().can_see_partner(record.get("partner_id")):
        raise NotFound("install_id", f"no such install: {install_id}")
    return json_response({**record, "summary": summary(record)})


def summary(record: dict[str, Any]) -> str:
    """One sentence a person can read."""
    kind = {"new_install": "Install", "reinstall": "Reinstall", "reengagement": "Re-engagement"}
    what = kind.get(record["type"], record["type"])
    passed = len(record["passed_over"])
    tail = f"; {passed} candidate(s) passed over, see passed_over" if passed else ""
    if record["method"] == "kept":
        since = record.get("inactive_seconds")
        gap = f" after {span(since)} without activity" if since is not None else ""
        return (
            f"{what}{gap}: keeps the earlier attribution ({record['attribution']}, "
            f"campaign {record['campaign_id']}){tail}."
        )
    if record["attribution"] == "organic":
        return f"{what} is Organic: no touchpoint qualified{tail or ' (none found)'}."
    how = {
        "preinstall": "a pre-install mark",
        "referrer": "the Google Play referrer's click id",
        "device_id": f"device id ({record['matched_by']})",
        "probabilistic": "IP and normalised User-Agent",
    }.get(record["method"], record["method"])
    ctit = record.get("ctit_seconds")
    after = f", {span(ctit)} after it" if ctit is not None and ctit >= 0 else ""
    return (
        f"{what} attributed to {record['touchpoint_kind']} {record['touchpoint_id']} "
        f"(link {record['link_code']}, campaign {record['campaign_id']}) by {how}{after}{tail}."
    )


# raw export


def _plain(value: Any) -> Any:
    return rfc3339(value) if isinstance(value, datetime) else value


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return _json.encode(value).decode()
    if isinstance(value, bool):
        return "1" if value else "0"
    return _plain(value)


async def _stream(
    service: AttributionService,
    limiter: trio.CapacityLimiter,
    prefix: str,
    lo: str,
    hi: str,
    accepts: Callable[[dict[str, Any]], bool],
    header: str,
    line: Callable[[dict[str, Any]], str],
    refresh: bool,
) -> AsyncIterator[bytes]:
    if header:
        yield header.encode()
    # A streamed body runs outside the request context: everything it needs is passed in.
    if refresh:
        await trio.to_thread.run_sync(service.refresh_installs, limiter=limiter)
    while True:
        page = await trio.to_thread.run_sync(
            partial(service.page, prefix, lo, hi, EXPORT_PAGE), limiter=limiter
        )
        if not page:
            return
        chunk = "".join(line(record) for _, record in page if accepts(record))
        if chunk:
            yield chunk.encode()
        if len(page) < EXPORT_PAGE:
            return
        lo = page[-1][0][len(prefix) :] + "\x00"


async def _export(kind: str, query: RawQuery) -> Response:
    principal = current_principal()
    start = parse_bound("from", query.from_, end=False)
    end = parse_bound("to", query.to, end=True)
    wanted = {"app_id": query.app_id, "campaign_id": query.campaign_id}
    wanted["link_code"] = query.link_code
    if principal.role == "partner":
        wanted["partner_id"] = principal.partner_id
    wanted = {k: v for k, v in wanted.items() if v is not None}
    export = tracker().export
    campaigns = None if query.partner_id is None else export.partner_campaigns(query.partner_id)

    def accepts(record: dict[str, Any]) -> bool:
        if campaigns is not None and record.get("campaign_id") not in campaigns:
            return False
        return all(record.get(k) == v for k, v in wanted.items())

    fields = INSTALL_FIELDS if kind == "installs" else ATTRIBUTION_FIELDS
    if query.format == "jsonl":
        content_type, header = JSONL_CONTENT_TYPE, ""

        def line(record: dict[str, Any]) -> str:
            return _jsonl({f: record.get(f) for f in fields})

    else:
        content_type = CSV_CONTENT_TYPE
        header, row_line = csv_lines(fields)

        def line(record: dict[str, Any]) -> str:
            return row_line({f: _csv_cell(record.get(f)) for f in fields})

    prefix = "installs/" if kind == "installs" else "attribution/"
    lo = ts_key(start) if start else ""
    hi = ts_key(end) if end else "\uffff"
    response = Response(
        _stream(
            _service(), _limiter(), prefix, lo, hi, accepts, header, line, services().owns_views
        ),
        content_type=content_type,
    )
    response.timeout = None
    return response


def _jsonl(row: dict[str, Any]) -> str:
    return _json.encode({k: _plain(v) for k, v in row.items()}).decode() + "\n"


@attribution_api.get("/api/v1/raw/installs")
@requires("read")
@validate_querystring(RawQuery)
@answers(200, "Installs, one per line (JSON lines) or row (CSV).", content=EXPORT_CONTENT)
async def raw_installs(query_args: RawQuery) -> Response:
    """Every install (first installs and reinstalls) with its attribution, oldest first, as
    JSON lines or CSV; filters ``app_id``, ``campaign_id``, ``partner_id``, ``link_code``,
    ``from``, ``to``."""
    return await _export("installs", query_args)


@attribution_api.get("/api/v1/raw/attributions")
@requires("read")
@validate_querystring(RawQuery)
@answers(200, "Decisions, one per line (JSON lines) or row (CSV).", content=EXPORT_CONTENT)
async def raw_attributions(query_args: RawQuery) -> Response:
    """Every attribution decision (installs, reinstalls, re-engagements) with its method,
    touchpoint, flags and the candidates passed over, as JSON lines or CSV."""
    return await _export("attributions", query_args)
