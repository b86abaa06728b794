"""FX rates: how many units of each currency one US dollar buys, day by day (docs/fx.md).

A row ``(2026-12-01, EUR, 0.95)`` means ``1 USD = 0.95 EUR`` on 2026-12-01. USD is the base
currency: its rate is 1 on every day and needs no row. There is one ``FxRates`` aggregate,
with a fixed id; each PUT records the rows that are new or change a rate in one ``RatesSet``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from tracker.domain.catalog._shared import _NS, stable_topics
from tracker.domain.errors import DomainError
from tracker.domain.rules import check_currency

BASE_CURRENCY = "USD"
MAX_RATE_ROWS = 100_000
MAX_RATE_DIGITS = 12

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PLAIN_DECIMAL = re.compile(r"\d+(\.\d+)?")


class RateRow(NamedTuple):
    day: date
    currency: str
    rate: Decimal


@dataclass(frozen=True)
class RowNames:
    """How an error names a row and its column: ``rows[3].rate: must be positive`` (JSON,
    ``dotted``) or ``line 4: rate must be positive`` (CSV)."""

    name: Callable[[int], str]
    dotted: bool = True

    def error(self, index: int, column: str, detail: str) -> DomainError:
        if self.dotted:
            return DomainError(f"{self.name(index)}.{column}", detail)
        return DomainError(self.name(index), f"{column} {detail}")


JSON_ROWS = RowNames(lambda index: f"rows[{index}]")


def _shown(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _day(value: Any) -> date | str:
    """The day, or what is wrong with it."""
    if isinstance(value, date):
        return value
    # date.fromisoformat alone would take 20261201 and 2026-W49-1 as well.
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        return f"{_shown(value)} is not an ISO date (YYYY-MM-DD)"
    try:
        return date.fromisoformat(value)
    except ValueError:
        return f"{_shown(value)} is not a valid date"


def _rate(value: Any) -> Decimal | str:
    """The rate, or what is wrong with it."""
    if isinstance(value, Decimal):
        rate = value
        if not rate.is_finite():
            return "must be a finite number"
    elif isinstance(value, str) and PLAIN_DECIMAL.fullmatch(value):
        rate = Decimal(value)
    else:
        return f"{_shown(value)} is not a decimal number (digits and an optional '.' and digits)"
    if rate <= 0:
        return f"must be positive, got {_shown(value)}"
    significant = "".join(map(str, rate.as_tuple().digits)).strip("0")
    if len(significant) > MAX_RATE_DIGITS:
        return f"has more than {MAX_RATE_DIGITS} significant digits: {_shown(value)}"
    return rate


def check_rate_rows(rows: Sequence[Sequence[Any]], names: RowNames = JSON_ROWS) -> list[RateRow]:
    """Check rows of (date, currency, rate): an ISO date, an ISO 4217 code and a positive
    decimal of at most 12 significant digits (as a string, or a Decimal), each (date,
    currency) once; USD, if given, at 1."""
    if not rows:
        raise DomainError("rows", "at least one rate is required")
    if len(rows) > MAX_RATE_ROWS:
        raise DomainError("rows", f"at most {MAX_RATE_ROWS} rates per request, got {len(rows)}")
    checked: list[RateRow] = []
    seen: dict[tuple[date, str], int] = {}
    for index, (day_value, currency, rate_value) in enumerate(rows):
        day = _day(day_value)
        if isinstance(day, str):
            raise names.error(index, "date", day)
        try:
            check_currency("currency", currency)
        except DomainError as e:
            raise names.error(index, "currency", e.detail) from None
        rate = _rate(rate_value)
        if isinstance(rate, str):
            raise names.error(index, "rate", rate)
        if currency == BASE_CURRENCY and rate != 1:
            raise names.error(index, "rate", f"must be 1: {BASE_CURRENCY} is the base currency")
        first = seen.setdefault((day, currency), index)
        if first != index:
            raise DomainError(
                names.name(index), f"{currency} on {day} is given twice ({names.name(first)})"
            )
        checked.append(RateRow(day, currency, rate))
    return checked


@stable_topics
class FxRates(Aggregate):
    """Every rate set: ISO day -> currency -> rate (a plain decimal string)."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(_NS, "fx-rates")

    @event("Created")
    def __init__(self) -> None:
        self.rates: dict[str, dict[str, str]] = {}

    def set_rates(self, rows: Sequence[Sequence[Any]], names: RowNames = JSON_ROWS) -> int:
        """Check the rows, then record those that are new or change a rate (a later rate for
        the same day and currency replaces the earlier one); return how many were recorded.
        Nothing is recorded if any row is wrong."""
        changed = []
        for row in check_rate_rows(rows, names):
            day = row.day.isoformat()
            old = self.rates.get(day, {}).get(row.currency)
            if old is None or Decimal(old) != row.rate:
                changed.append([day, row.currency, format(row.rate, "f")])
        if changed:
            self._rates_set(rates=changed)
        return len(changed)

    @event("RatesSet")
    def _rates_set(self, rates: list[list[str]]) -> None:
        # New dicts, never changed in place: a reader in another thread sees all the old
        # rates or all the new, and Catalog.fx_table() knows its snapshot by the dict.
        touched: dict[str, dict[str, str]] = {}
        for day, currency, rate in rates:
            touched.setdefault(day, dict(self.rates.get(day, {})))[currency] = rate
        self.rates = {**self.rates, **touched}
