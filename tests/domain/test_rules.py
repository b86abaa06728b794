"""The shared validation rules: currencies, time zones, URLs, dates, money, ranges."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tracker.domain.errors import DomainError
from tracker.domain.rules import (
    MAX_URL_LENGTH,
    check_currency,
    check_date_range,
    check_range,
    check_timezone,
    check_url,
    parse_money,
)


@pytest.mark.parametrize("code", ["USD", "EUR", "RUB", "JPY", "KZT"])
def test_iso_4217_currencies_pass(code: str) -> None:
    assert check_currency("currency", code) == code


@pytest.mark.parametrize("code", ["usd", "XXQ", "US", "USDD", "", "$"])
def test_other_currency_codes_are_refused_naming_the_field(code: str) -> None:
    with pytest.raises(DomainError) as err:
        check_currency("tariff.currency", code)
    assert err.value.field == "tariff.currency"
    assert err.value.status == 400


@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow", "America/New_York", "Asia/Kolkata"])
def test_iana_time_zones_pass(zone: str) -> None:
    assert str(check_timezone("timezone", zone)) == zone


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "GMT+3", "europe/moscow", "", "../../etc/passwd", "Europe/"]
)
def test_non_iana_time_zones_are_refused(zone: str) -> None:
    with pytest.raises(DomainError) as err:
        check_timezone("timezone", zone)
    assert err.value.field == "timezone"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://play.google.com/store/apps/details?id=com.example&hl=en",
        "https://apps.apple.com/app/id123456789",
        "http://127.0.0.1:8080/path",
    ],
)
def test_http_urls_pass(url: str) -> None:
    assert check_url("target_url", url) == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "javascript:alert(1)",
        "market://details?id=com.example",
        "example.com",
        "https://",
        "http:///path-only",
        "http://[::1",
        "",
    ],
)
def test_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(DomainError) as err:
        check_url("target_url", url)
    assert err.value.field == "target_url"


def test_an_overlong_url_is_refused() -> None:
    url = "https://example.com/" + "a" * MAX_URL_LENGTH
    with pytest.raises(DomainError, match="longer than"):
        check_url("target_url", url)


def test_end_date_may_equal_or_follow_the_start_or_be_open() -> None:
    check_date_range("starts_on", date(2026, 1, 1), "ends_on", date(2026, 1, 1))
    check_date_range("starts_on", date(2026, 1, 1), "ends_on", date(2026, 2, 1))
    check_date_range("starts_on", date(2026, 1, 1), "ends_on", None)


def test_end_before_start_names_the_end_field() -> None:
    with pytest.raises(DomainError) as err:
        check_date_range("starts_on", date(2026, 1, 2), "ends_on", date(2026, 1, 1))
    assert err.value.field == "ends_on"
    assert "before" in err.value.detail


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.50", Decimal("1.50")), ("0", Decimal(0)), (3, Decimal(3)), ("0.000001", Decimal("1E-6"))],
)
def test_money_is_parsed_exactly(raw: str | int, expected: Decimal) -> None:
    assert parse_money("rate", raw) == expected


def test_money_keeps_its_scale() -> None:
    assert str(parse_money("rate", "1.50")) == "1.50"


@pytest.mark.parametrize("raw", ["-1", "abc", "NaN", "Infinity", "1,5"])
def test_bad_money_is_refused(raw: str) -> None:
    with pytest.raises(DomainError) as err:
        parse_money("rate", raw)
    assert err.value.field == "rate"


def test_zero_money_can_be_refused() -> None:
    with pytest.raises(DomainError, match="positive"):
        parse_money("rate", "0", allow_zero=False)


@pytest.mark.parametrize(("value", "ok"), [(0, False), (1, True), (720, True), (721, False)])
def test_ranges_are_inclusive(value: int, ok: bool) -> None:
    if ok:
        assert check_range("click_window_hours", value, 1, 720) == value
    else:
        with pytest.raises(DomainError, match="between 1 and 720"):
            check_range("click_window_hours", value, 1, 720)
