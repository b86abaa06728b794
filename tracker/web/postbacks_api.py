"""Postback routes: the test-send of a configured postback, the delivery attempts, and their
raw export."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

import msgspec
import trio
from msgspec import Meta, Struct
from quart import Blueprint, Response
from quart_schema import document_response, validate_querystring

from tracker.ingest.export import (
    CSV_CONTENT_TYPE,
    JSONL_CONTENT_TYPE,
    csv_lines,
    parse_bound,
    rfc3339,
)
from tracker.services.postbacks import PostbackService, SampleEvent
from tracker.web.answers import EXPORT_CONTENT, DeliveriesOut, PostbackTestOut
from tracker.web.auth import current_principal, requires
from tracker.web.context import services, tracker
from tracker.web.openapi import answers, may_answer
from tracker.web.responses import json_response
from tracker.web.schemas import Bound, EventSeq, Money, validate_body

postbacks_api = Blueprint("postbacks_api", __name__, url_prefix="/api/v1")

EXPORT_PAGE = 1000
ATTEMPT_FIELDS = (
    "seq",
    "at",
    "delivery_id",
    "attempt",
    "postback_id",
    "receiver",
    "partner_id",
    "postback_config_id",
    "app_id",
    "event_type",
    "method",
    "url",
    "status",
    "verdict",
    "reason",
    "response",
    "next_due_at",
)
Value = Annotated[str, Meta(max_length=1024)]


class SampleEventIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """A made-up event to render a postback with; every field has a sample default."""

    event_name: Value | None = None
    app_id: str | None = None
    campaign_id: str | None = None
    link_code: str | None = None
    click_id: str | None = None
    device: dict[str, Value] = msgspec.field(
        default_factory=lambda: {"gaid": "38400000-8cf0-11bd-b23e-10b96e40000d"}
    )
    ip: Value | None = "203.0.113.1"
    ua: Value | None = None
    country: Annotated[str, Meta(min_length=2, max_length=2)] | None = "DE"
    revenue: Money | None = None
    currency: Annotated[str, Meta(pattern="^[A-Z]{3}$")] | None = None
    subids: dict[str, Value] = {}
    click_params: dict[str, Value] = {}
    event_params: dict[str, Value] = {}


class DeliveriesQuery(Struct):
    postback_id: str | None = None
    partner_id: str | None = None
    status: Literal["delivered", "retry", "failed"] | None = None
    after: EventSeq = 0
    limit: Annotated[int, Meta(ge=1, le=1000)] = 100


class RawDeliveriesQuery(Struct):
    format: Literal["jsonl", "csv"] = "jsonl"
    from_: Bound | None = msgspec.field(default=None, name="from")
    to: Bound | None = None
    postback_id: str | None = None
    app_id: str | None = None
    # the partner the postbacks went to (a partner token: its own, whatever is asked)
    partner_id: str | None = None


def _service() -> PostbackService:
    return tracker().postbacks


def _blocking(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return trio.to_thread.run_sync(partial(fn, *args, **kwargs), limiter=services().read_limiter)


@postbacks_api.post("/postbacks/<postback_id>/test")
@requires("write")
@validate_body(SampleEventIn)
@may_answer(422)
@document_response(PostbackTestOut)
async def test_postback(postback_id: str, data: SampleEventIn) -> Response:
    """Render the postback with a sample event, send it now (not recorded as a delivery) and
    show the request and the receiver's answer."""
    request = _service().test_request(postback_id, SampleEvent(**msgspec.structs.asdict(data)))
    status, body, outcome = await services().postback_client.perform(request)
    return json_response(
        {
            "request": {"method": request.method, "url": request.url, "body": request.body},
            "response": {"status": status, "body": body[:65536]},
            "outcome": {"verdict": outcome.verdict, "reason": outcome.reason},
        }
    )


def _partner_scope(wanted: str | None) -> str | None:
    principal = current_principal()
    if principal.role == "partner":
        return principal.partner_id
    return wanted


@postbacks_api.get("/deliveries")
@requires("read")
@validate_querystring(DeliveriesQuery)
@document_response(DeliveriesOut)
async def list_deliveries(query_args: DeliveriesQuery) -> Response:
    """Delivery attempts, oldest first, paged by ``after``: ``next`` is the next page's
    ``after`` (the last ``seq`` shown; null: no more); a partner token sees its own partner's
    only."""
    rows = await _blocking(
        _service().attempts,
        after=query_args.after,
        limit=query_args.limit,
        postback_id=query_args.postback_id,
        verdict=query_args.status,
        partner_id=_partner_scope(query_args.partner_id),
    )
    next_page = rows[-1]["seq"] if len(rows) == query_args.limit else None
    return json_response({"deliveries": rows, "next": next_page})


async def _stream(
    service: PostbackService,
    limiter: trio.CapacityLimiter,
    filters: dict[str, Any],
    header: str,
    line: Callable[[dict[str, Any]], str],
) -> AsyncIterator[bytes]:
    # A streamed body runs outside the request context: everything it needs is passed in.
    if header:
        yield header.encode()
    after = 0
    while True:
        page = await trio.to_thread.run_sync(
            partial(service.attempts, after=after, limit=EXPORT_PAGE, **filters), limiter=limiter
        )
        if not page:
            return
        yield "".join(line(row) for row in page).encode()
        after = page[-1]["seq"]


def _plain(value: Any) -> Any:
    return rfc3339(value) if isinstance(value, datetime) else value


@postbacks_api.get("/raw/deliveries")
@requires("read")
@validate_querystring(RawDeliveriesQuery)
@answers(200, "Attempts, one per line (JSON lines) or row (CSV).", content=EXPORT_CONTENT)
async def raw_deliveries(query_args: RawDeliveriesQuery) -> Response:
    """Every delivery attempt, streamed as JSON lines or CSV; ``from``/``to`` bound the
    attempt time; a partner token sees its own partner's only."""
    filters = {
        "since": parse_bound("from", query_args.from_, end=False),
        "until": parse_bound("to", query_args.to, end=True),
        "postback_id": query_args.postback_id,
        "app_id": query_args.app_id,
        "partner_id": _partner_scope(query_args.partner_id),
    }
    if query_args.format == "jsonl":
        content_type, header = JSONL_CONTENT_TYPE, ""
        encoder = msgspec.json.Encoder()

        def line(row: dict[str, Any]) -> str:
            return encoder.encode({f: _plain(row.get(f)) for f in ATTEMPT_FIELDS}).decode() + "\n"

    else:
        content_type = CSV_CONTENT_TYPE
        header, row_line = csv_lines(ATTEMPT_FIELDS)

        def line(row: dict[str, Any]) -> str:
            return row_line(
                {f: "" if row.get(f) is None else _plain(row[f]) for f in ATTEMPT_FIELDS}
            )

    response = Response(
        _stream(_service(), services().read_limiter, filters, header, line),
        content_type=content_type,
    )
    response.timeout = None
    return response
