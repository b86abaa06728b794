"""Converting money between currencies with each day's FX rate (docs/fx.md).

Rates say how many units of a currency one US dollar buys that day (``1 USD = rate EUR``), so
an amount goes from A to B as ``amount * rate(B) / rate(A)``; USD's rate is always 1. Only the
day's own rate is used: a day without one raises ``MissingRate``, never an earlier day's rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from types import MappingProxyType

from tracker.domain.catalog.fx import BASE_CURRENCY
from tracker.domain.errors import DomainError

# 34 digits (IEEE decimal128): a product of an amount and a 12-digit rate stays exact, and a
# quotient that does not terminate (1/3) is the one place a result is rounded.
CONTEXT = Context(
    prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)

_ONE = Decimal(1)


class MissingRate(DomainError):
    """No rate for this currency on this day."""

    status = 422
    code = "unprocessable"

    def __init__(self, currency: str, day: date) -> None:
        super().__init__("currency", f"no {currency} rate for {day.isoformat()}")
        self.currency = currency
        self.day = day


class FxTable:
    """An immutable snapshot of the FX rates: day -> currency -> units per US dollar."""

    __slots__ = ("_rates",)

    def __init__(self, rates: Mapping[date, Mapping[str, Decimal]] | None = None) -> None:
        frozen = {day: MappingProxyType(dict(by_day)) for day, by_day in (rates or {}).items()}
        object.__setattr__(self, "_rates", MappingProxyType(frozen))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("an FxTable does not change")

    @classmethod
    def from_stored(cls, rates: Mapping[str, Mapping[str, str]]) -> FxTable:
        """From ``FxRates.rates``: ISO day -> currency -> decimal string."""
        return cls(
            {
                date.fromisoformat(day): {c: Decimal(r) for c, r in by_currency.items()}
                for day, by_currency in rates.items()
            }
        )

    def __len__(self) -> int:
        return sum(len(by_currency) for by_currency in self._rates.values())

    def has_rate(self, day: date, currency: str) -> bool:
        return currency == BASE_CURRENCY or currency in self._rates.get(day, {})

    def rate(self, day: date, currency: str) -> Decimal:
        """Units of ``currency`` one US dollar buys on ``day``; raises ``MissingRate``."""
        if currency == BASE_CURRENCY:
            return _ONE
        try:
            return self._rates[day][currency]
        except KeyError:
            raise MissingRate(currency, day) from None

    def convert(self, amount: Decimal, currency: str, to: str, day: date) -> Decimal:
        """``amount`` of ``currency`` in ``to`` with ``day``'s rates, not quantized (round for
        display yourself). The same currency needs no rate; raises ``MissingRate`` naming the
        first currency without a rate that day."""
        if not isinstance(amount, Decimal):
            raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
        if currency == to:
            return amount
        source = self.rate(day, currency)
        target = self.rate(day, to)
        result = CONTEXT.divide(CONTEXT.multiply(amount, target), source)
        if result.as_tuple().exponent > 0:  # type: ignore[operator]
            # 9.5 / 0.95 is Decimal('1E+1'): the same value, written as 10.
            result = result.quantize(_ONE, context=CONTEXT)
        return result

    def rows(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        currency: str | None = None,
    ) -> list[tuple[date, str, Decimal]]:
        """The rates from ``start`` to ``end`` (inclusive), by day then currency."""
        return [
            (day, code, rate)
            for day in sorted(self._rates)
            if (start is None or day >= start) and (end is None or day <= end)
            for code, rate in sorted(self._rates[day].items())
            if currency is None or code == currency
        ]
