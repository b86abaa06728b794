"""Report latency and the rebuild speed of the report counters.

Stores ``--events`` clicks and impressions (one in ten a click) over ``--days`` days and
``--links`` links (ten per campaign, each campaign with a CPC, a CPM and a CPA tariff) straight
into the ingest stream, and ``--installs`` attributed installs (one in two with a purchase)
into the attribution stream; settles the heap as ``tracker serve`` and ``tracker worker`` do
once started, builds both report projections from zero (``touch_counts`` over the ingest
stream, ``conversion_counts`` over the attribution stream; events/s each and together), then
asks for a report by day and campaign over the whole range ``--queries`` times (p50/p99).

    .venv/bin/python -m bench.reports --events 10000000 --days 90 --links 1000

SQLite store in a temporary directory. The events are written in batches of 10,000 with the
store's own batch insert, as the ingest writer writes them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import msgspec

from tracker.bootstrap import bootstrap, settle_heap_for_serving
from tracker.domain.attribution import Attribution, Decision, Touchpoint
from tracker.domain.devices import Device
from tracker.domain.ingest import ClickRecorded, ImpressionRecorded
from tracker.domain.reports import ReportQuery
from tracker.ingest.store import insert_stored_events
from tracker.projections.base import Projection, Rows
from tracker.projections.reports import TouchCountsProjection
from tracker.settings import load_settings
from tracker.stores import catch_up

START = date(2026, 6, 1)


def catalog(tracker, links: int) -> list[tuple[str, str]]:
    service = tracker.catalog_service
    app = service.register_app(
        title="Bench", platform="android", store_url=None, bundle_id=None, attribution=None
    )
    tracker.refresh_directory()
    found = []
    for c in range(max(1, links // 10)):
        campaign = service.create_campaign(
            title=f"C{c}", campaign_type="regular", traffic_type="media", partner_id=None
        )
        service.add_tariff(
            str(campaign.id), model="cpc", rate="0.05", currency="USD", starts_on=START
        )
        service.add_tariff(
            str(campaign.id), model="cpm", rate="2.00", currency="USD", starts_on=START
        )
        service.add_tariff(
            str(campaign.id),
            model="cpa",
            target="install",
            rate="1.50",
            currency="USD",
            starts_on=START,
        )
        tracker.refresh_directory()
        for _ in range(10):
            link = service.create_link(
                str(campaign.id),
                app_id=str(app.id),
                attribution=None,
                title="L",
                deep_link=None,
                deferred_deep_link=False,
                target_url="https://play.google.com/store/apps/details?id=x",
                targets=None,
            )
            found.append((link.code, str(campaign.id)))
    tracker.refresh_directory()
    return found[:links]


class ReadOnly(Projection):
    """The floor of any projection's rebuild: the events read, decoded and tracked, nothing
    counted (the baseline the rebuild speed is measured against)."""

    name = "bench_read_only"
    application = "ingest"
    topics = TouchCountsProjection.topics

    def apply(self, event: Any, rows: Rows) -> None:
        pass

    def apply_all(self, events: Sequence[Any], rows: Rows) -> None:
        pass


class ReadFacts(ReadOnly):
    """The floor of this projection's rebuild: its events read and decoded into the facts it
    reads (``TouchCountsProjection.facts``), nothing counted."""

    name = "bench_read_facts"
    facts = TouchCountsProjection.facts


def store_events(tracker, links: list[tuple[str, str]], n: int, days: int) -> float:
    app = tracker.stores.ingest
    rng = random.Random(7)
    t0 = datetime.combine(START, datetime.min.time(), tzinfo=UTC)
    span = days * 86400
    start = time.perf_counter()
    batch = []
    # Traffic arrives in time order: the i-th event at its share of the span, with jitter.
    for i in range(n):
        code, campaign_id = links[rng.randrange(len(links))]
        common = dict(
            originator_id=uuid4(),
            originator_version=1,
            timestamp=t0 + timedelta(seconds=i * span // n + rng.randrange(60)),
            link_code=code,
            campaign_id=campaign_id,
            partner_id=None,
            app_id=None,
            platform="android",
            ip=None,
            ua=None,
            device={},
            subids={"sub1": f"s{rng.randrange(5)}"},
            cost=None,
            params={},
            malformed={},
            s2s=False,
            country=rng.choice(("DE", "US", "FR")),
        )
        event = (
            ClickRecorded(target_url=None, **common)
            if i % 10 == 0
            else ImpressionRecorded(**common)
        )
        batch.append(app.mapper.to_stored_event(event))
        if len(batch) == 10_000:
            insert_stored_events(app, batch)
            batch = []
    if batch:
        insert_stored_events(app, batch)
    return time.perf_counter() - start


def store_installs(tracker, links: list[tuple[str, str]], n: int, days: int) -> int:
    """``n`` devices installed from a click on one of the links, one in two buying once an
    hour later, as the attributor records them; returns the events stored."""
    app = tracker.stores.attribution
    rng = random.Random(11)
    t0 = datetime.combine(START, datetime.min.time(), tzinfo=UTC)
    span = days * 86400
    app_id = str(next(iter(tracker.catalog.apps())).id)
    batch, stored = [], 0
    for i in range(n):
        code, campaign_id = links[rng.randrange(len(links))]
        ts = t0 + timedelta(seconds=i * span // max(1, n))
        touch = Touchpoint(
            id=str(uuid4()),
            kind="click",
            ts=ts - timedelta(minutes=5),
            link_code=code,
            campaign_id=campaign_id,
            app_id=app_id,
            platform="android",
            subids={"sub1": f"s{rng.randrange(5)}"},
            country=rng.choice(("DE", "US", "FR")),
        )
        decision = Decision(
            id=str(uuid4()),
            type="new_install",
            ts=ts,
            attribution=Attribution(
                type="click",
                method="device_id",
                campaign_id=campaign_id,
                link_code=code,
                click_id=touch.id,
                install_id=str(uuid4()),
            ),
            method="device_id",
            app_id=app_id,
            touchpoint=touch,
            country=touch.country,
        )
        key = f"instance_id:i{i}"
        device = Device(
            app_id=app_id,
            first_key=key,
            keys=[key],
            instance_id=f"i{i}",
            decision=decision.to_event(),
        )
        if i % 2 == 0:
            device.record_event(
                event_id=str(uuid4()),
                sdk_event_id=f"p{i}",
                type="purchase",
                name=None,
                event_ts=ts + timedelta(hours=1),
                revenue=Decimal("4.99"),
                currency="USD",
            )
        for event in device.collect_events():
            batch.append(app.mapper.to_stored_event(event))
        if len(batch) >= 10_000:
            insert_stored_events(app, batch)
            stored += len(batch)
            batch = []
    if batch:
        insert_stored_events(app, batch)
        stored += len(batch)
    return stored


def timed_catch_up(tracker, projection: Projection) -> float:
    """Seconds to run ``projection`` over its whole stream from its view's position."""
    started = time.perf_counter()
    app = tracker.stores.named(projection.application)
    catch_up(app, projection, tracker.views, batch=5000)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--installs", type=int, default=None, help="default: events / 100")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--each", action="store_true", help="print every report's latency")
    parser.add_argument(
        "--quarter-reports",
        action="store_true",
        help="also time two reports the day table cannot answer",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        tracker = bootstrap(load_settings({}, data_dir=tmp), load_entry_points=False)
        try:
            links = catalog(tracker, args.links)
            stored = store_events(tracker, links, args.events, args.days)
            print(f"stored {args.events} events in {stored:.0f} s")
            installs = args.events // 100 if args.installs is None else args.installs
            conversions = store_installs(tracker, links, installs, args.days)
            print(f"stored {installs} installs and their purchases: {conversions} events")
            # As `tracker serve` and `tracker worker` do once started, before their projector
            # runs: what lives for the process's lifetime leaves the collector's sight.
            settle_heap_for_serving()
            seconds = []
            for projection, count, shown in (
                (tracker.reports.touches, args.events, "touch_counts"),
                (tracker.reports.conversions, conversions, "conversion_counts"),
            ):
                tracker.views.drop(projection.name)
                seconds.append(timed_catch_up(tracker, projection))
                print(
                    f"rebuild {shown} from zero: {count / seconds[-1]:,.0f} events/s "
                    f"({seconds[-1]:.1f} s)"
                )
            rebuilt, converted = seconds
            both = args.events + conversions
            print(
                f"both report projections: {both:,} events, "
                f"{both / (rebuilt + converted):,.0f} events/s ({rebuilt + converted:.1f} s)"
            )
            for baseline, what in (
                (ReadOnly(), "read and decoded as domain events"),
                (ReadFacts(), "read and decoded into the projection's facts"),
            ):
                floor = timed_catch_up(tracker, baseline)
                print(
                    f"baseline, the same events {what}, nothing counted: "
                    f"{args.events / floor:,.0f} events/s ({floor:.1f} s); "
                    f"rebuild / baseline: {floor / rebuilt:.2f}"
                )
            end = START + timedelta(days=args.days - 1)
            query = ReportQuery(
                start=START,
                end=end,
                dimensions=("day", "campaign"),
                metrics=(
                    "impressions",
                    "clicks",
                    "installs",
                    "revenue",
                    "cost_tariffs",
                    "campaign_cost",
                    "ctr",
                    "roi",
                ),
            )
            times = []
            for _ in range(args.queries):
                t = time.perf_counter()
                built = tracker.reports.report(query)
                times.append((time.perf_counter() - t) * 1000)
            if args.each:
                print("each report, in order (ms):", " ".join(f"{t:.0f}" for t in times))
            times.sort()
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(
                f"report by day and campaign over {args.days} days: {len(built['rows'])} rows, "
                f"p50 {statistics.median(times):.0f} ms, p99 {p99:.0f} ms"
            )
            print(f"totals: {built['totals']}")
            if args.quarter_reports:
                # What the day table cannot answer: read from the quarter-hour cells.
                for tz, dims in (
                    ("Asia/Kolkata", ("day", "campaign")),
                    ("UTC", ("day", "country")),
                ):
                    slow = msgspec.structs.replace(query, tz=tz, dimensions=dims)
                    times = []
                    for _ in range(5):
                        t = time.perf_counter()
                        built = tracker.reports.report(slow)
                        times.append((time.perf_counter() - t) * 1000)
                    print(
                        f"report by {' and '.join(dims)} in {tz} (quarter-hour cells): "
                        f"{len(built['rows'])} rows, p50 of 5 {statistics.median(times):.0f} ms"
                    )
        finally:
            tracker.close()


if __name__ == "__main__":
    main()
