"""Validation rules shared by the catalog, ingest and reports."""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import idna
import pycountry

from tracker.domain.errors import DomainError

MAX_URL_LENGTH = 4096
# Days a tariff, correction, rate or report may name: unix time onwards, and far enough from
# year 9999 that a day's end in any time zone is still a date.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(8999, 12, 31)
DAY_PATTERN = r"^(19[7-9][0-9]|[2-8][0-9]{3})-"
# An amount of money set through the API (a rate, a percent, a correction): under 10**12, so a
# report's sums stay within Decimal's 28 digits at six places.
MAX_AMOUNT_DIGITS = 12
# What one event may add to the report counters (a revenue, a link cost): they sum exactly, up
# to about 9.2 * 10**12 per cell (tracker/projections/tables.py).
MAX_EVENT_AMOUNT = Decimal(10**9)
CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)
TIMEZONES = frozenset(available_timezones()) | {"UTC"}


def check_currency(field: str, value: str) -> str:
    if value not in CURRENCIES:
        raise DomainError(field, f"{value!r} is not an ISO 4217 currency code")
    return value


def check_timezone(field: str, value: str) -> ZoneInfo:
    if value not in TIMEZONES:
        raise DomainError(field, f"{value!r} is not an IANA time zone")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(field, f"{value!r} is not an IANA time zone") from None


def check_url(field: str, value: str, *, max_length: int | None = MAX_URL_LENGTH) -> str:
    """An http(s) URL a request can be made to: a valid host name (IDNA-encodable labels of
    letters, digits, ``-`` and ``_``, 1 to 63 each, 253 in all) or IP address, and a port,
    if any, from 1 to 65535. ``max_length`` None: any length (a rendered postback URL)."""
    if max_length is not None and len(value) > max_length:
        raise DomainError(field, f"URL longer than {max_length} characters")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise DomainError(field, "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DomainError(field, "must be an http(s) URL with a host")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is not None and not 1 <= port <= 65535:
        raise DomainError(field, "the port must be a number from 1 to 65535")
    _check_host(field, parts.hostname or "", bracketed="[" in parts.netloc)
    return value


_HOST_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")


def _check_host(field: str, host: str, *, bracketed: bool) -> None:
    if not host:
        raise DomainError(field, "must be an http(s) URL with a host")
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise DomainError(field, f"{host!r} is not an IPv6 address") from None
        return
    name = host
    if not name.isascii():
        try:
            name = idna.encode(name).decode("ascii")
        except idna.IDNAError as e:
            raise DomainError(field, f"{host!r} is not a valid host name: {e}") from None
    labels = name.removesuffix(".").split(".")
    if len(name.removesuffix(".")) > 253 or not all(_HOST_LABEL.fullmatch(x) for x in labels):
        raise DomainError(
            field,
            f"{host!r} is not a valid host name (labels of letters, digits, - and _, "
            "1 to 63 characters each, 253 in all)",
        )
    if labels[-1].isdigit():
        try:
            ipaddress.IPv4Address(name.removesuffix("."))
        except ValueError:
            raise DomainError(field, f"{host!r} is not an IPv4 address") from None


def check_no_nul(field: str, text: str | None) -> None:
    """The views keep names and ids in text columns, and PostgreSQL refuses NUL in text."""
    if text is not None and "\x00" in text:
        raise DomainError(field.replace("\x00", "\\u0000"), "holds a NUL character")


def check_day(field: str, value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise DomainError(field, f"must be between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


def check_date_range(start_field: str, start: date, end_field: str, end: date | None) -> None:
    check_day(start_field, start)
    if end is not None:
        check_day(end_field, end)
    if end is not None and end < start:
        raise DomainError(end_field, f"{end.isoformat()} is before {start_field} {start}")


def parse_amount(field: str, value: str | int | Decimal) -> Decimal:
    """A finite decimal under 10**MAX_AMOUNT_DIGITS either side of zero."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(field, f"{value!r} is not a decimal number") from None
    if not amount.is_finite():
        raise DomainError(field, "must be a finite number")
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise DomainError(field, f"must be less than 10^{MAX_AMOUNT_DIGITS}")
    return amount


def parse_money(field: str, value: str | int | Decimal, *, allow_zero: bool = True) -> Decimal:
    amount = parse_amount(field, value)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise DomainError(field, "must be positive" if not allow_zero else "must not be negative")
    return amount


def check_range(field: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise DomainError(field, f"must be between {low} and {high}, got {value}")
    return value
