"""Validation rules shared by the catalog, ingest and reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

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


def check_url(field: str, value: str) -> str:
    if len(value) > MAX_URL_LENGTH:
        raise DomainError(field, f"URL longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise DomainError(field, "not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise DomainError(field, "must be an http(s) URL with a host")
    return value


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
