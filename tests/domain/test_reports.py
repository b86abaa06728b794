"""The report builder with worked numbers: counters, tariffs, corrections and FX rates in,
rows and totals out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tracker.domain.errors import DomainError
from tracker.domain.reports import (
    UNASSIGNED,
    CampaignFacts,
    CorrectionFacts,
    ReportQuery,
    build_report,
)

D1 = date(2026, 12, 1)


class Rates:
    """1 USD = rate units of a currency, per day."""

    def __init__(self, **rates: str) -> None:
        self.rates = {k: Decimal(v) for k, v in rates.items()}

    def convert(self, amount: Decimal, currency: str, to: str, day: date) -> Decimal:
        if currency == to:
            return amount
        usd = amount / self.rates.get(currency, Decimal(1)) if currency != "USD" else amount
        return usd * self.rates.get(to, Decimal(1)) if to != "USD" else usd


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def touch(bucket: datetime, *, impressions=0, clicks=0, campaign="c1", **extra) -> dict:
    row = {
        "bucket": bucket,
        "campaign_id": campaign,
        "impressions": impressions,
        "clicks": clicks,
        "link_cost": Decimal(0),
        "cost_model": "",
        "cost_currency": "",
    }
    return {**row, **extra}


def conversion(bucket: datetime, event: str, *, n=1, campaign="c1", **extra) -> dict:
    row = {
        "bucket": bucket,
        "campaign_id": campaign,
        "event": event,
        "event_name": "",
        "currency": "",
        "events": n,
        "payers": 0,
        "revenue": Decimal(0),
    }
    return {**row, **extra}


def tariff(model: str, *, starts_on=D1, ends_on=None, **fields) -> dict:
    return {
        "id": model,
        "model": model,
        "currency": "USD",
        "starts_on": starts_on,
        "ends_on": ends_on,
        **fields,
    }


def report(touches=(), conversions=(), *, tariffs=(), corrections=(), fx=None, **query):
    q = ReportQuery(start=query.pop("start", D1), end=query.pop("end", D1), **query)
    campaigns = {"c1": CampaignFacts(partner_id="p1", traffic_type="media", tariffs=tariffs)}
    return build_report(
        q.checked(),
        touches=touches,
        conversions=conversions,
        campaigns=campaigns,
        corrections=corrections,
        fx=fx or Rates(),
    )


def test_cpm_rate_2_on_1500_impressions_costs_3():
    out = report(
        [touch(at(D1), impressions=1000), touch(at(D1, 13), impressions=500)],
        tariffs=(tariff("cpm", rate="2.00"),),
        dimensions=("day",),
        metrics=("impressions", "cost_tariffs"),
    )
    assert out["rows"] == [{"day": "2026-12-01", "impressions": 1500, "cost_tariffs": "3.00"}]


def test_one_impression_at_cpm_costs_its_exact_share():
    out = report(
        [touch(at(D1), impressions=1)],
        tariffs=(tariff("cpm", rate="2.00"),),
        metrics=("cost_tariffs",),
    )
    assert out["totals"]["cost_tariffs"] == "0.002"


def test_a_correction_over_two_days_in_tokyo_falls_on_three_utc_days():
    correction = CorrectionFacts(
        campaign_id="c1",
        app_id="a1",
        amount=Decimal("-48.00"),
        currency="USD",
        starts_on=D1,
        ends_on=D1 + timedelta(days=1),
        timezone="Asia/Tokyo",
    )
    out = report(
        corrections=[correction],
        start=D1 - timedelta(days=1),
        end=D1 + timedelta(days=2),
        dimensions=("day",),
        metrics=("cost_corrections", "campaign_cost"),
    )
    assert out["rows"] == [
        {"day": "2026-11-30", "cost_corrections": "-9.00", "campaign_cost": "-9.00"},
        {"day": "2026-12-01", "cost_corrections": "-24.00", "campaign_cost": "-24.00"},
        {"day": "2026-12-02", "cost_corrections": "-15.00", "campaign_cost": "-15.00"},
    ]
    assert out["totals"]["cost_corrections"] == "-48.00"


def test_a_correction_shows_under_unassigned_when_grouped_by_link():
    correction = CorrectionFacts(
        campaign_id="c1",
        app_id="a1",
        amount=Decimal("24"),
        currency="USD",
        starts_on=D1,
        ends_on=D1,
        timezone="UTC",
    )
    out = report(
        [touch(at(D1), clicks=3, link_code="L1")],
        corrections=[correction],
        dimensions=("campaign", "link"),
        metrics=("clicks", "cost_corrections"),
    )
    assert out["rows"] == [
        {"campaign_id": "c1", "link_code": UNASSIGNED, "clicks": 0, "cost_corrections": "24.00"},
        {"campaign_id": "c1", "link_code": "L1", "clicks": 3, "cost_corrections": "0.00"},
    ]


def test_a_half_hour_time_zone_reports_quarter_buckets_exactly():
    # 18:30 UTC is midnight in Kolkata (UTC+5:30): the two buckets fall on two local days.
    out = report(
        [touch(at(D1, 18, 15), clicks=1), touch(at(D1, 18, 30), clicks=2)],
        end=D1 + timedelta(days=1),
        tz="Asia/Kolkata",
        dimensions=("day",),
        metrics=("clicks",),
    )
    assert out["rows"] == [{"day": "2026-12-01", "clicks": 1}, {"day": "2026-12-02", "clicks": 2}]


def test_revshare_on_purchases_in_two_currencies():
    purchases = [
        conversion(at(D1), "purchase", currency="EUR", revenue=Decimal("10.00"), payers=1),
        conversion(at(D1, 14), "purchase", currency="USD", revenue=Decimal("20.00")),
    ]
    out = report(
        conversions=purchases,
        tariffs=(tariff("revshare", percent="10"),),
        fx=Rates(EUR="0.8"),
        metrics=("events:purchase", "payers", "revenue", "cost_tariffs"),
    )
    assert out["totals"] == {
        "events:purchase": 2,
        "payers": 1,
        "revenue": "32.50",
        "cost_tariffs": "3.25",
    }


def test_ecpi_and_roi():
    out = report(
        [touch(at(D1), clicks=40)],
        [
            conversion(at(D1), "install", n=4),
            conversion(at(D1), "purchase", currency="USD", revenue=Decimal("30")),
        ],
        tariffs=(tariff("cpa", target="install", rate="2.50"),),
        metrics=("installs", "campaign_cost", "ecpi", "roi", "cr"),
    )
    assert out["totals"] == {
        "installs": 4,
        "campaign_cost": "10.00",
        "ecpi": "2.50",
        "roi": "2.00",
        "cr": "0.10",
    }


def test_ctr_over_two_days_is_a_ratio_of_sums():
    out = report(
        [
            touch(at(D1), impressions=100, clicks=10),
            touch(at(D1 + timedelta(days=1)), impressions=900, clicks=9),
        ],
        end=D1 + timedelta(days=1),
        dimensions=("day",),
        metrics=("ctr",),
    )
    assert [r["ctr"] for r in out["rows"]] == ["0.10", "0.01"]
    assert out["totals"]["ctr"] == "0.019"  # 19 / 1000, not the mean of 0.10 and 0.01


def test_a_tariff_ending_mid_period_charges_only_its_days():
    days = [D1 + timedelta(days=i) for i in range(4)]
    out = report(
        [touch(at(d), clicks=10) for d in days],
        tariffs=(tariff("cpc", rate="0.50", ends_on=D1 + timedelta(days=1)),),
        end=days[-1],
        dimensions=("day",),
        metrics=("clicks", "cost_tariffs"),
    )
    assert [r["cost_tariffs"] for r in out["rows"]] == ["5.00", "5.00", "0.00", "0.00"]
    assert out["totals"]["cost_tariffs"] == "10.00"


def test_link_cost_cpm_and_cpc_in_their_currencies():
    out = report(
        [
            touch(
                at(D1), clicks=4, link_cost=Decimal("2.00"), cost_model="CPC", cost_currency="EUR"
            ),
            touch(
                at(D1),
                impressions=500,
                link_cost=Decimal("1500"),
                cost_model="CPM",
                cost_currency="USD",
            ),
        ],
        fx=Rates(EUR="0.8"),
        metrics=("cost_links",),
    )
    assert out["totals"]["cost_links"] == "4.00"  # 2.00 EUR = 2.50 USD, plus 1500/1000 USD


def test_the_report_currency_converts_every_amount():
    out = report(
        conversions=[conversion(at(D1), "purchase", currency="USD", revenue=Decimal("10"))],
        currency="EUR",
        fx=Rates(EUR="0.8"),
        metrics=("revenue",),
    )
    assert out["totals"]["revenue"] == "8.00"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"dimensions": ("week",)}, "dimensions"),
        ({"metrics": ("likes",)}, "metrics"),
        ({"end": D1 - timedelta(days=1)}, "to"),
    ],
)
def test_a_bad_query_names_its_field(fields, field):
    with pytest.raises(DomainError) as e:
        ReportQuery(start=D1, **{"end": D1, **fields}).checked()
    assert e.value.field == field
