"""PUT and GET /api/v1/fx-rates: CSV and JSON, filters, errors naming the field, restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import trio

from tests.conftest import ADMIN_TOKEN, auth
from tests.web.api_helpers import call, create_partner, create_token, error
from tracker.bootstrap import Role, Tracker, bootstrap, build_process
from tracker.replay import replay
from tracker.settings import Settings
from tracker.web.app import create_app as create_web_app

pytestmark = pytest.mark.usefixtures("store")

PATH = "/api/v1/fx-rates"
CSV = "text/csv; charset=utf-8"


async def put_csv(
    client: Any, text: str, expect: int | None = 200, *, token: str = ADMIN_TOKEN
) -> Any:
    headers = auth(token) | {"Content-Type": CSV}
    response = await client.put(PATH, data=text.encode(), headers=headers)
    data = await response.get_json()
    if expect is not None:
        assert response.status_code == expect, data
    return data


async def put_json(client: Any, rows: list[dict[str, Any]], expect: int = 200) -> Any:
    return (await call(client, "PUT", PATH, json={"rows": rows}, expect=expect))[1]


async def listed(client: Any, query: str = "", **kwargs: Any) -> list[tuple[str, str, str]]:
    _, data = await call(client, "GET", PATH + query, expect=200, **kwargs)
    assert data["base_currency"] == "USD"
    return [(r["date"], r["currency"], r["rate"]) for r in data["rows"]]


async def test_csv_rates_are_stored_and_listed(client: Any) -> None:
    with trio.fail_after(20):
        text = (
            "\ufeffdate,currency,rate\r\n"
            "2026-12-01,EUR,0.95\r\n"
            "\r\n"
            "2026-12-01, GBP , 0.79\n"
            "2026-12-02,EUR,0.9500\n"
        )
        assert await put_csv(client, text) == {"rows": 3, "changed": 3}
        assert await listed(client) == [
            ("2026-12-01", "EUR", "0.95"),
            ("2026-12-01", "GBP", "0.79"),
            ("2026-12-02", "EUR", "0.9500"),
        ]
        # columns in any order, header in any case
        assert await put_csv(client, "Currency,Rate,Date\nJPY,155.2,2026-12-01\n") == {
            "rows": 1,
            "changed": 1,
        }
        assert ("2026-12-01", "JPY", "155.2") in await listed(client)


async def test_csv_rates_to_usd_are_stored_as_units_per_usd(client: Any, tracker: Any) -> None:
    # the column API.md names: what one unit of the currency is worth in USD
    with trio.fail_after(20):
        text = "date,currency,rate_to_usd\n2026-12-01,EUR,1.25\n2026-12-01,GBP,1.08\n"
        assert await put_csv(client, text) == {"rows": 2, "changed": 2}
        assert await put_csv(client, "RATE_TO_USD,Date,Currency\n0.5,2026-12-01,JPY\n") == {
            "rows": 1,
            "changed": 1,
        }
        assert await listed(client) == [
            ("2026-12-01", "EUR", "0.8"),
            ("2026-12-01", "GBP", "0.925925925926"),  # 12 significant digits
            ("2026-12-01", "JPY", "2"),
        ]
        fx = tracker.catalog.fx_table()
        assert fx.convert(Decimal("10.00"), "EUR", "USD", date(2026, 12, 1)) == Decimal("12.5")
        data = await put_csv(client, "date,currency,rate_to_usd\n2026-12-01,EUR,-1\n", 400)
        assert data["detail"].startswith("line 2: rate"), data


async def test_json_rates_replace_earlier_ones(client: Any, tracker: Tracker) -> None:
    with trio.fail_after(20):
        rows = [
            {"date": "2026-12-01", "currency": "EUR", "rate": "0.8"},
            {"date": "2026-12-01", "currency": "GBP", "rate": "0.75"},
        ]
        assert await put_json(client, rows) == {"rows": 2, "changed": 2}
        again = [rows[0], {"date": "2026-12-01", "currency": "GBP", "rate": "0.76"}]
        assert await put_json(client, again) == {"rows": 2, "changed": 1}
        assert await listed(client) == [
            ("2026-12-01", "EUR", "0.8"),
            ("2026-12-01", "GBP", "0.76"),
        ]
        fx = tracker.catalog.fx_table()
        day = date(2026, 12, 1)
        assert fx.convert(Decimal(10), "EUR", "USD", day) == Decimal("12.5")
        assert fx.convert(Decimal(8), "EUR", "GBP", day) == Decimal("7.6")
        _, page = await call(client, "GET", "/api/v1/events?limit=1000", expect=200)
        fx_events = [e for e in page["events"] if e["type"].startswith("FxRates.")]
        assert [e["type"] for e in fx_events] == [
            "FxRates.Created",
            "FxRates.RatesSet",
            "FxRates.RatesSet",
        ]
        assert fx_events[-1]["data"]["rates"] == [["2026-12-01", "GBP", "0.76"]]
        assert fx_events[-1]["topic"] == "tracker.domain.catalog:FxRates.RatesSet"


async def test_listing_filters_by_days_and_currency(client: Any) -> None:
    with trio.fail_after(20):
        text = "date,currency,rate\n" + "".join(
            f"2026-12-0{d},{c},0.{d}\n" for d in range(1, 5) for c in ("EUR", "GBP")
        )
        await put_csv(client, text)
        assert await listed(client, "?from=2026-12-02&to=2026-12-03&currency=GBP") == [
            ("2026-12-02", "GBP", "0.2"),
            ("2026-12-03", "GBP", "0.3"),
        ]
        assert [r[0] for r in await listed(client, "?from=2026-12-04")] == ["2026-12-04"] * 2
        assert len(await listed(client, "?to=2026-12-01")) == 2
        assert await listed(client, "?currency=JPY") == []
        data = await error(client, "GET", PATH + "?from=2026-12-03&to=2026-12-02", 400)
        assert data["detail"].startswith("to: 2026-12-02 is before from")
        data = await error(client, "GET", PATH + "?from=yesterday", 400)
        assert data["detail"].startswith("from: ")
        data = await error(client, "GET", PATH + "?currency=eur", 400)
        assert data["detail"].startswith("currency: ")


async def test_any_token_lists_and_only_an_admin_sets(client: Any) -> None:
    with trio.fail_after(20):
        await put_csv(client, "date,currency,rate\n2026-12-01,EUR,0.95\n")
        viewer = await create_token(client, "viewer")
        partner = await create_partner(client)
        partner_token = await create_token(client, "partner", partner["id"])
        for token in (viewer, partner_token):
            assert await listed(client, token=token) == [("2026-12-01", "EUR", "0.95")]
        data = await put_csv(client, "date,currency,rate\n2026-12-01,EUR,1\n", 403, token=viewer)
        assert data["detail"] == "Authorization: a viewer token cannot change data"
        rows = [{"date": "2026-12-01", "currency": "EUR", "rate": "1"}]
        await call(client, "PUT", PATH, json={"rows": rows}, token=viewer, expect=403)
        response = await client.put(PATH, json={"rows": rows})
        assert response.status_code == 401
        assert await listed(client) == [("2026-12-01", "EUR", "0.95")]


@pytest.mark.parametrize(
    ("rows", "detail"),
    [
        (
            [{"date": "2026-12-01", "currency": "EUR", "rate": "0"}],
            "rows[1].rate: must be positive",
        ),
        ([{"date": "2026-12-01", "currency": "EUR", "rate": 0.95}], "rows[1].rate: Expected `str`"),
        ([{"date": "2026-12-32", "currency": "EUR", "rate": "1"}], "rows[1].date: '2026-12-32'"),
        ([{"date": "2026-12-01", "currency": "EURO", "rate": "1"}], "rows[1].currency: 'EURO'"),
        ([{"date": "2026-12-01", "currency": "EUR"}], "rows[1].rate: required"),
        (
            [{"date": "2026-12-01", "currency": "EUR", "rate": "1", "note": "x"}],
            "rows[1].note: unknown field",
        ),
        (
            [{"date": "2026-12-01", "currency": "GBP", "rate": "0.9"}],
            "rows[1]: GBP on 2026-12-01 is given twice (rows[0])",
        ),
    ],
)
async def test_json_errors_name_the_row_and_store_nothing(
    client: Any, rows: list[dict[str, Any]], detail: str
) -> None:
    with trio.fail_after(20):
        good = {"date": "2026-12-01", "currency": "GBP", "rate": "0.8"}
        data = await put_json(client, [good, *rows], expect=400)
        assert data["detail"].startswith(detail), data
        assert await listed(client) == []


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("date,currency,rate\n2026-12-01,GBP,0.8\n2026-12-01,EUR,abc\n", "line 3: rate 'abc' is"),
        ("date,currency,rate\n2026-12-01,GBP,0.8\n\n2026-12-01,EUR\n", "line 4: 3 values"),
        ("date,currency,rate\n2026-12-01,GBP,0.8\n1.12.2026,EUR,1\n", "line 3: date '1.12.2026'"),
        ("date,currency,rate\n2026-12-01,GBP,0.8\n2026-12-01,XXZ,1\n", "line 3: currency 'XXZ'"),
        ("date,currency,rate\n2026-12-01,GBP,0.8\n2026-12-01,GBP,0.9\n", "line 3: GBP on "),
        ("day,currency,rate\n2026-12-01,GBP,0.8\n", "line 1: the header must name the columns"),
        ("2026-12-01,GBP,0.8\n", "line 1: the header must name the columns date,currency,rate"),
        (
            "",
            "body: a CSV header line date,currency,rate (or rate_to_usd, its inverse) is required",
        ),
        ("date,currency,rate,rate_to_usd\n", "line 1: the header must name the columns"),
        ("date,currency,rate\n", "rows: at least one rate is required"),
        ('date,currency,rate\n2026-12-01,GBP,"0.8\n', "line 2: "),
    ],
)
async def test_csv_errors_name_the_line_and_store_nothing(
    client: Any, text: str, detail: str
) -> None:
    with trio.fail_after(20):
        data = await put_csv(client, text, 400)
        assert data["detail"].startswith(detail), data
        assert await listed(client) == []


async def test_bodies_that_are_not_rates(client: Any) -> None:
    with trio.fail_after(20):
        for raw, detail in [
            (b"", "body: a JSON object is required"),
            (b"{not json", "body: not valid JSON"),
            (b"[]", "body: Expected `object`, got `array`"),
            (b'{"rows": []}', "rows: at least one rate is required"),
        ]:
            headers = auth() | {"Content-Type": "application/json"}
            response = await client.put(PATH, data=raw, headers=headers)
            assert response.status_code == 400, raw
            assert (await response.get_json())["detail"].startswith(detail), raw
        data = await put_csv(client, "date,currency,rate\n", 400)
        response = await client.put(
            PATH,
            data=b"date,currency,rate\n2026-12-01,EUR,\xff\n",
            headers=auth() | {"Content-Type": CSV},
        )
        assert (await response.get_json())["detail"] == "body: CSV must be UTF-8 text"
        assert data["error"] == "invalid"


async def test_100000_rates_in_one_request_and_no_more(client: Any, tracker: Tracker) -> None:
    with trio.fail_after(120):
        codes = ["EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "NOK", "PLN", "CZK"]
        start = date(2000, 1, 1)
        lines = [
            f"{start + timedelta(days=n // 10)},{codes[n % 10]},{1 + n % 97}.{n % 1000:03d}\n"
            for n in range(100_000)
        ]
        text = "date,currency,rate\n" + "".join(lines)
        assert len(text.encode()) > 1024 * 1024
        assert await put_csv(client, text) == {"rows": 100_000, "changed": 100_000}
        fx = tracker.catalog.fx_table()
        assert len(fx) == 100_000
        last = start + timedelta(days=9_999)
        assert fx.rate(last, "CZK") == Decimal(lines[-1].split(",")[2])
        data = await put_csv(client, text + "2030-01-01,EUR,1\n", 400)
        assert data["detail"] == "rows: at most 100000 rates per request"
        data = await put_csv(client, "date,currency,rate\n" + "x" * (17 * 1024 * 1024), 413)
        assert data["error"] == "too_large"
        assert data["detail"].startswith("body: larger than 16777216 bytes")


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Any]:
    tracker = bootstrap(settings)
    try:
        web = create_web_app(build_process(tracker, Role.SERVE))
        async with web.test_app() as test_app:
            yield test_app.test_client()
    finally:
        tracker.close()


async def test_rates_survive_a_restart(settings: Settings) -> None:
    with trio.fail_after(30):
        async with running(settings) as client:
            await put_csv(client, "date,currency,rate\n2026-12-01,EUR,0.95\n2026-12-01,GBP,0.8\n")
            await put_json(client, [{"date": "2026-12-01", "currency": "GBP", "rate": "0.79"}])
            before = await listed(client)
        async with running(settings) as client:
            assert (
                await listed(client)
                == before
                == [
                    ("2026-12-01", "EUR", "0.95"),
                    ("2026-12-01", "GBP", "0.79"),
                ]
            )
            await put_json(client, [{"date": "2026-12-02", "currency": "EUR", "rate": "0.96"}])
            assert len(await listed(client)) == 3


async def test_replay_equals_the_live_views(client: Any, tracker: Tracker) -> None:
    with trio.fail_after(30):
        await put_csv(client, "date,currency,rate\n2026-12-01,EUR,0.95\n2026-12-01,GBP,0.8\n")
        await put_json(client, [{"date": "2026-12-01", "currency": "EUR", "rate": "0.94"}])
        await put_json(client, [{"date": "2026-12-02", "currency": "EUR", "rate": "0.93"}])
        tracker.update_views()
        report = replay(tracker)
        assert report.equal, report.summary()


async def test_the_routes_are_documented(client: Any) -> None:
    with trio.fail_after(10):
        spec = await (await client.get("/openapi.json")).get_json()
        put = spec["paths"][PATH]["put"]
        assert put["summary"]
        body = put["requestBody"]["content"]["application/json"]["schema"]
        if "$ref" in body:
            body = spec["components"]["schemas"][body["$ref"].rpartition("/")[2]]
        assert body["required"] == ["rows"]
        csv_body = put["requestBody"]["content"]["text/csv"]["schema"]
        assert csv_body["type"] == "string"
        assert "rate_to_usd" in csv_body["description"]
        assert "200" in put["responses"]
        get = spec["paths"][PATH]["get"]
        assert {p["name"] for p in get["parameters"]} == {"from", "to", "currency"}
        assert "200" in get["responses"]
