"""FX rates: the rules of a rate, replacing rates, and exact conversion through USD."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tracker.application import CatalogApplication
from tracker.domain.catalog import FxRates
from tracker.domain.catalog.fx import MAX_RATE_ROWS, RowNames, check_rate_rows
from tracker.domain.errors import DomainError
from tracker.domain.money import FxTable, MissingRate
from tracker.projections.catalog import Catalog, CatalogProjection
from tracker.services.catalog import CatalogService
from tracker.stores import MemoryViewStore, catch_up

DAY = date(2026, 12, 1)
CSV_LINES = RowNames(lambda index: f"line {index + 2}", dotted=False)


def table(*rows: tuple[str, str, str]) -> FxTable:
    fx = FxRates()
    fx.set_rates(list(rows))
    return FxTable.from_stored(fx.rates)


def error_of(rows: list, names: RowNames | None = None) -> str:
    with pytest.raises(DomainError) as raised:
        check_rate_rows(rows, *([names] if names else []))
    return str(raised.value)


# validation


@pytest.mark.parametrize(
    ("row", "detail"),
    [
        (("2026-13-01", "EUR", "1"), "rows[1].date: '2026-13-01' is not a valid date"),
        (("20261201", "EUR", "1"), "rows[1].date: '20261201' is not an ISO date (YYYY-MM-DD)"),
        (("2026-W49-1", "EUR", "1"), "rows[1].date: '2026-W49-1' is not an ISO date"),
        (("2026-12-01", "EUX", "1"), "rows[1].currency: 'EUX' is not an ISO 4217 currency code"),
        (("2026-12-01", "eur", "1"), "rows[1].currency: 'eur' is not an ISO 4217"),
        (("2026-12-01", "EUR", "0"), "rows[1].rate: must be positive, got '0'"),
        (("2026-12-01", "EUR", "0.000"), "rows[1].rate: must be positive"),
        (("2026-12-01", "EUR", "-1"), "rows[1].rate: '-1' is not a decimal number"),
        (("2026-12-01", "EUR", "1e3"), "rows[1].rate: '1e3' is not a decimal number"),
        (("2026-12-01", "EUR", "1,5"), "rows[1].rate: '1,5' is not a decimal number"),
        (("2026-12-01", "EUR", "NaN"), "rows[1].rate: 'NaN' is not a decimal number"),
        (("2026-12-01", "EUR", ""), "rows[1].rate: '' is not a decimal number"),
        (("2026-12-01", "EUR", "1234567.890123"), "rows[1].rate: has more than 12 significant"),
        (("2026-12-01", "USD", "1.1"), "rows[1].rate: must be 1: USD is the base currency"),
        (("2026-12-01", "GBP", "0.75"), "rows[1]: GBP on 2026-12-01 is given twice (rows[0])"),
    ],
)
def test_a_wrong_row_is_named_with_its_field(row: tuple[str, str, str], detail: str) -> None:
    assert error_of([("2026-12-01", "GBP", "0.8"), row]).startswith(detail)


def test_csv_errors_name_the_line() -> None:
    rows = [("2026-12-01", "GBP", "0.8"), ("2026-12-01", "EUR", "abc")]
    assert error_of(rows, CSV_LINES) == (
        "line 3: rate 'abc' is not a decimal number (digits and an optional '.' and digits)"
    )
    rows[1] = ("2026-12-01", "GBP", "0.9")
    assert error_of(rows, CSV_LINES) == "line 3: GBP on 2026-12-01 is given twice (line 2)"


def test_significant_digits_and_plain_decimals() -> None:
    rows = check_rate_rows(
        [
            ("2026-12-01", "EUR", "0.000123456789012"),  # leading zeros are not significant
            ("2026-12-01", "JPY", "155.100000000000"),  # nor are trailing ones
            ("2026-12-01", "VND", "25000"),
            ("2026-12-01", "USD", "1.000"),
        ]
    )
    assert [r.rate for r in rows] == [
        Decimal("0.000123456789012"),
        Decimal("155.1"),
        Decimal(25000),
        Decimal(1),
    ]
    assert rows[0].day == DAY and rows[0].currency == "EUR"


def test_a_request_has_one_to_100000_rows() -> None:
    assert error_of([]) == "rows: at least one rate is required"
    many = [("2026-12-01", "EUR", "1")] * (MAX_RATE_ROWS + 1)
    assert error_of(many) == "rows: at most 100000 rates per request, got 100001"


def test_nothing_is_recorded_when_one_row_is_wrong() -> None:
    fx = FxRates()
    fx.collect_events()
    with pytest.raises(DomainError, match=r"rows\[2\]\.rate"):
        fx.set_rates(
            [("2026-12-01", "EUR", "0.9"), ("2026-12-01", "GBP", "0.8"), (DAY, "JPY", "x")]
        )
    assert fx.rates == {} and fx.collect_events() == []


# replacing


def test_a_later_rate_replaces_the_earlier_and_equal_rates_record_nothing() -> None:
    fx = FxRates()
    assert fx.set_rates([("2026-12-01", "EUR", "0.95"), ("2026-12-02", "EUR", "0.94")]) == 2
    before = fx.rates
    assert fx.set_rates([("2026-12-01", "EUR", "0.950"), ("2026-12-02", "EUR", "0.96")]) == 1
    assert fx.rates == {"2026-12-01": {"EUR": "0.95"}, "2026-12-02": {"EUR": "0.96"}}
    assert before == {"2026-12-01": {"EUR": "0.95"}, "2026-12-02": {"EUR": "0.94"}}, (
        "an event gives new dicts, the old ones stay as they were"
    )
    assert fx.set_rates([("2026-12-01", "EUR", "0.95")]) == 0
    events = fx.collect_events()
    assert [type(e).__qualname__ for e in events] == [
        "FxRates.Created",
        "FxRates.RatesSet",
        "FxRates.RatesSet",
    ]
    assert events[2].rates == [["2026-12-02", "EUR", "0.96"]]


def test_rates_are_one_aggregate_replayed_from_the_store() -> None:
    app = CatalogApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    views = MemoryViewStore()
    catalog = Catalog(views.rows(CatalogProjection.name))
    service = CatalogService(app, catalog, {})
    assert catalog.fx_table().rows() == []
    assert service.set_fx_rates([("2026-12-01", "EUR", "0.8"), ("2026-12-01", "GBP", "0.75")]) == 2
    assert service.set_fx_rates([("2026-12-01", "EUR", "0.85")]) == 1
    with pytest.raises(DomainError, match=r"rows\[0\]\.currency"):
        service.set_fx_rates([("2026-12-02", "XXY", "1")])
    again = app.repository.get(FxRates.create_id())
    assert again.version == 3
    assert again.rates == {"2026-12-01": {"EUR": "0.85", "GBP": "0.75"}}

    catch_up(app, CatalogProjection(), views)
    fx = catalog.fx_table()
    assert fx.rate(DAY, "EUR") == Decimal("0.85")
    assert catalog.fx_table() is fx, "cached until the rates change"
    service.set_fx_rates([("2026-12-02", "EUR", "0.9")])
    catch_up(app, CatalogProjection(), views)
    assert catalog.fx_table() is not fx
    assert catalog.fx_table().rate(date(2026, 12, 2), "EUR") == Decimal("0.9")


# conversion


def test_conversion_is_exact() -> None:
    fx = table(("2026-12-01", "EUR", "0.8"), ("2026-12-01", "GBP", "0.75"))
    assert fx.convert(Decimal(10), "EUR", "USD", DAY) == Decimal("12.5")
    assert fx.convert(Decimal(10), "USD", "EUR", DAY) == Decimal("8.0")
    # EUR -> USD -> GBP: 10 / 0.8 * 0.75
    assert fx.convert(Decimal(10), "EUR", "GBP", DAY) == Decimal("9.375")
    assert fx.convert(Decimal("0.01"), "GBP", "EUR", DAY) == Decimal(
        "0.01066666666666666666666666666666667"
    )
    assert fx.convert(Decimal("-7.10"), "EUR", "EUR", DAY) == Decimal("-7.10")


def test_a_whole_result_is_written_without_an_exponent() -> None:
    fx = table(("2026-12-01", "EUR", "0.95"), ("2026-12-01", "JPY", "150"))
    assert str(fx.convert(Decimal("9.5"), "EUR", "USD", DAY)) == "10"
    assert str(fx.convert(Decimal("2"), "USD", "JPY", DAY)) == "300"
    assert str(fx.convert(Decimal("2.00"), "USD", "JPY", DAY)) == "300.00"


def test_each_day_has_its_own_rate() -> None:
    fx = table(("2026-12-01", "EUR", "0.8"), ("2026-12-02", "EUR", "0.5"))
    assert fx.convert(Decimal(1), "EUR", "USD", DAY) == Decimal("1.25")
    assert fx.convert(Decimal(1), "EUR", "USD", date(2026, 12, 2)) == Decimal(2)


def test_a_missing_rate_is_a_422_naming_currency_and_date() -> None:
    fx = table(("2026-12-01", "EUR", "0.8"))
    with pytest.raises(MissingRate) as raised:
        fx.convert(Decimal(10), "EUR", "GBP", DAY)
    assert (raised.value.status, raised.value.field) == (422, "currency")
    assert str(raised.value) == "currency: no GBP rate for 2026-12-01"
    assert (raised.value.currency, raised.value.day) == ("GBP", DAY)
    # no fallback to an earlier day
    with pytest.raises(MissingRate, match="no EUR rate for 2026-12-02"):
        fx.rate(date(2026, 12, 2), "EUR")
    with pytest.raises(MissingRate, match="no EUR rate for 2026-11-30"):
        fx.convert(Decimal(1), "EUR", "USD", date(2026, 11, 30))
    assert isinstance(raised.value, DomainError)


def test_same_currency_and_usd_need_no_rate() -> None:
    empty = FxTable()
    assert empty.convert(Decimal("3.30"), "JPY", "JPY", DAY) == Decimal("3.30")
    assert empty.rate(DAY, "USD") == 1
    assert empty.has_rate(DAY, "USD") and not empty.has_rate(DAY, "EUR")


def test_amounts_are_decimals_and_a_table_does_not_change() -> None:
    fx = table(("2026-12-01", "EUR", "0.8"))
    with pytest.raises(TypeError):
        fx.convert(10.0, "EUR", "USD", DAY)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        fx._rates = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        fx._rates[DAY]["EUR"] = Decimal(1)  # type: ignore[index]
    assert len(fx) == 1


def test_rows_filter_by_day_and_currency() -> None:
    fx = table(
        ("2026-12-02", "GBP", "0.7"),
        ("2026-12-01", "GBP", "0.75"),
        ("2026-12-01", "EUR", "0.8"),
        ("2026-12-03", "EUR", "0.81"),
    )
    assert fx.rows() == [
        (DAY, "EUR", Decimal("0.8")),
        (DAY, "GBP", Decimal("0.75")),
        (date(2026, 12, 2), "GBP", Decimal("0.7")),
        (date(2026, 12, 3), "EUR", Decimal("0.81")),
    ]
    assert fx.rows(start=date(2026, 12, 2), currency="EUR") == [
        (date(2026, 12, 3), "EUR", Decimal("0.81"))
    ]
    assert [r[0].day for r in fx.rows(end=DAY)] == [1, 1]
