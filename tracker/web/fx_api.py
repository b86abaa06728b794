"""FX rate routes (docs/fx.md): set rates from CSV or JSON, list them."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal
from functools import partial, wraps
from typing import Annotated, Any

import msgspec
import trio
from msgspec import Meta, Struct
from quart import Blueprint, Response, request
from quart.blueprints import BlueprintSetupState
from quart_schema import (
    DataSource,
    RequestSchemaValidationError,
    document_response,
    validate_querystring,
)
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE
from werkzeug.exceptions import RequestEntityTooLarge

from tracker.domain.catalog.fx import (
    BASE_CURRENCY,
    JSON_ROWS,
    MAX_RATE_DIGITS,
    MAX_RATE_ROWS,
    PLAIN_DECIMAL,
    RowNames,
)
from tracker.domain.errors import DomainError
from tracker.domain.rules import check_date_range
from tracker.web.auth import requires
from tracker.web.context import services, tracker
from tracker.web.openapi import takes
from tracker.web.responses import json_response
from tracker.web.schemas import Currency, Day

fx_api = Blueprint("fx_api", __name__, url_prefix="/api/v1")

RATES_PATH = "/api/v1/fx-rates"
# 100,000 rows are about 2 MB of CSV and 7 MB of JSON: more than the app's 1 MiB.
MAX_RATES_BODY_BYTES = 16 * 1024 * 1024
CSV_COLUMNS = ("date", "currency", "rate")
# API.md names the column rate_to_usd: what one unit of the currency is worth in USD, the
# inverse of `rate` (units one USD buys), kept to MAX_RATE_DIGITS significant digits.
USD_PER_UNIT = "rate_to_usd"
CSV_ALIASES = {USD_PER_UNIT: "rate"}
CSV_HEADER = "date,currency,rate (or rate_to_usd, its inverse)"
_INVERSE = Context(prec=MAX_RATE_DIGITS, rounding=ROUND_HALF_EVEN)
CSV_BODY_SCHEMA = {
    "type": "string",
    "description": f"A header line naming the columns {CSV_HEADER}, in any order and any "
    "case, then one rate per line; blank lines are skipped and cells trimmed.",
    "examples": ["date,currency,rate\n2026-12-01,EUR,0.95\n2026-12-01,JPY,155.2\n"],
}

Rate = Annotated[
    str,
    Meta(
        pattern=r"^\d+(\.\d+)?$",
        max_length=40,
        description="units of the currency one USD buys: a positive decimal string of at "
        "most 12 significant digits",
        examples=["0.95"],
    ),
]


class FxRateIn(Struct, forbid_unknown_fields=True):
    date: date
    currency: Currency
    rate: Rate


class FxRatesIn(Struct, forbid_unknown_fields=True):
    """Rates as JSON; the same rows as CSV with ``Content-Type: text/csv``: a header line
    ``date,currency,rate`` (in any order; ``rate_to_usd`` for ``rate`` too), then one rate
    per line."""

    rows: Annotated[list[FxRateIn], Meta(min_length=1, max_length=MAX_RATE_ROWS)]


Cell = Annotated[str, Meta(max_length=64)]


class _RowBody(Struct, forbid_unknown_fields=True):
    # Strings only, so the domain names what is wrong with a date or a rate.
    date: Cell
    currency: Cell
    rate: Cell


class _RatesBody(Struct, forbid_unknown_fields=True):
    rows: list[_RowBody]


class FxRatesSetOut(Struct):
    """``rows``: the rates the request gave, all now stored; ``changed``: how many of them
    were new or changed a rate."""

    rows: int
    changed: int


class FxRateOut(Struct):
    date: date
    currency: str
    rate: str


class FxRatesOut(Struct):
    base_currency: str
    rows: list[FxRateOut]


class FxRatesQuery(Struct):
    from_: Day | None = msgspec.field(default=None, name="from")
    to: Day | None = None
    currency: Currency | None = None


def _allow_large_rate_uploads(state: BlueprintSetupState) -> None:
    # Quart sizes a request's body buffer when it builds the request, before any route runs.
    base = state.app.request_class

    class RatesRequest(base):  # type: ignore[misc, valid-type]
        def __init__(self, method: str, scheme: str, path: str, *args: Any, **kwargs: Any) -> None:
            if method == "PUT" and path == RATES_PATH:
                kwargs["max_content_length"] = MAX_RATES_BODY_BYTES
            super().__init__(method, scheme, path, *args, **kwargs)

    state.app.request_class = RatesRequest


fx_api.record_once(_allow_large_rate_uploads)


class TooLarge(DomainError):
    status = 413
    code = "too_large"


_json_decoder = msgspec.json.Decoder(_RatesBody)


Parsed = tuple[list[tuple[str, str, str]], RowNames]


def parse_json_rates(body: bytes) -> Parsed:
    if not body.strip():
        raise DomainError("body", "a JSON object is required")
    try:
        data = _json_decoder.decode(body)
    except msgspec.ValidationError as e:
        raise RequestSchemaValidationError(e) from None
    except msgspec.DecodeError:
        raise DomainError("body", "not valid JSON") from None
    return [(r.date, r.currency, r.rate) for r in data.rows], JSON_ROWS


def _inverse(rate: str) -> str:
    """Units one USD buys, from what one unit is worth in USD (``1.25`` -> ``0.8``); a cell
    that is not a positive decimal is left for the rules to name."""
    try:
        value = Decimal(rate)
    except ArithmeticError:
        return rate
    if not value.is_finite() or value <= 0 or not PLAIN_DECIMAL.fullmatch(rate):
        return rate
    return format(_INVERSE.divide(Decimal(1), value).normalize(_INVERSE), "f")


def parse_csv_rates(body: bytes) -> Parsed:
    """A header line naming the columns date, currency and rate or rate_to_usd (any order,
    any case), then one rate per line; blank lines are skipped and cells trimmed. Rates under
    ``rate_to_usd`` are turned into units per USD."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("body", "CSV must be UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[str, str, str]] = []
    lines: list[int] = []
    order: list[int] | None = None
    try:
        for record in reader:
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            if order is None:
                per_unit = USD_PER_UNIT in (cell.lower() for cell in cells)
                names = [CSV_ALIASES.get(cell.lower(), cell.lower()) for cell in cells]
                if sorted(names) != sorted(CSV_COLUMNS):
                    raise DomainError(
                        f"line {reader.line_num}",
                        f"the header must name the columns {CSV_HEADER}; "
                        f"got {','.join(cells)[:200]!r}",
                    )
                order = [names.index(column) for column in CSV_COLUMNS]
                continue
            if len(cells) != len(CSV_COLUMNS):
                raise DomainError(
                    f"line {reader.line_num}",
                    f"{len(CSV_COLUMNS)} values ({','.join(CSV_COLUMNS)}) expected, "
                    f"got {len(cells)}",
                )
            if len(rows) == MAX_RATE_ROWS:
                raise DomainError("rows", f"at most {MAX_RATE_ROWS} rates per request")
            rate = cells[order[2]]
            rows.append((cells[order[0]], cells[order[1]], _inverse(rate) if per_unit else rate))
            lines.append(reader.line_num)
    except csv.Error as e:
        raise DomainError(f"line {reader.line_num}", f"not valid CSV: {e}") from None
    if order is None:
        raise DomainError("body", f"a CSV header line {CSV_HEADER} is required")
    return rows, RowNames(lambda index: f"line {lines[index]}", dotted=False)


def _rates_body(
    handler: Callable[..., Awaitable[Response]],
) -> Callable[..., Awaitable[Response]]:
    """The body as rows and how errors name them: CSV for ``text/csv``, JSON otherwise
    (documented as ``FxRatesIn``)."""
    setattr(handler, QUART_SCHEMA_REQUEST_ATTRIBUTE, (FxRatesIn, DataSource.JSON))

    @wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            body = await request.get_data()
        except RequestEntityTooLarge:
            raise TooLarge(
                "body",
                f"larger than {MAX_RATES_BODY_BYTES} bytes; send at most {MAX_RATE_ROWS} "
                "rates per request",
            ) from None
        parse = parse_csv_rates if request.mimetype == "text/csv" else parse_json_rates
        return await handler(*args, parse=partial(parse, body), **kwargs)

    return wrapper


@fx_api.put("/fx-rates")
@requires("write")
@_rates_body
@takes("text/csv", CSV_BODY_SCHEMA)
@document_response(FxRatesSetOut)
async def set_fx_rates(parse: Callable[[], Parsed]) -> Response:
    """Set FX rates: how many units of each currency one USD buys, per day.

    JSON ``{"rows": [{"date": "2026-12-01", "currency": "EUR", "rate": "0.95"}]}``, or CSV
    with ``Content-Type: text/csv``: a header ``date,currency,rate``, then one rate per line
    (or ``date,currency,rate_to_usd``: what one unit is worth in USD, stored as its inverse
    to 12 significant digits).
    A rate replaces an earlier one of the same day and currency. At most 100,000 rates per
    request; a wrong one answers 400 naming it (``rows[3].rate: ...``, ``line 4: rate ...``)
    and none is stored."""
    service = tracker().catalog_service

    def parse_and_set() -> tuple[int, int]:
        rows, names = parse()
        return len(rows), service.set_fx_rates(rows, names)

    given, changed = await trio.to_thread.run_sync(parse_and_set, limiter=services().write_limiter)
    tracker().refresh_directory()
    return json_response({"rows": given, "changed": changed})


@fx_api.get("/fx-rates")
@requires("read")
@validate_querystring(FxRatesQuery)
@document_response(FxRatesOut)
async def list_fx_rates(query_args: FxRatesQuery) -> Response:
    """List FX rates, by day then currency.

    ``from`` and ``to`` (inclusive) bound the days, ``currency`` picks one currency. USD, the
    base currency, is 1 on every day and listed only where a request gave it."""
    if query_args.from_ is not None:
        check_date_range("from", query_args.from_, "to", query_args.to)
    rows = (
        tracker()
        .catalog.fx_table()
        .rows(start=query_args.from_, end=query_args.to, currency=query_args.currency)
    )
    return json_response(
        {
            "base_currency": BASE_CURRENCY,
            "rows": [
                {"date": day.isoformat(), "currency": code, "rate": format(rate, "f")}
                for day, code, rate in rows
            ],
        }
    )
