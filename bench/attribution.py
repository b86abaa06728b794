"""Install attribution latency over a large touchpoint index.

Loads ``--clicks`` clicks spread over ``--days`` days for ``--devices`` devices straight into the
touchpoint index of the view store (big transactions, no HTTP), then attributes ``--installs``
installs at the end of that period through ``AttributionService`` (the actor's work: catch up
the index, look up keys and candidates on disk, decide, save the device) and prints p50/p99 and
the process's peak RSS.

    .venv/bin/python -m bench.attribution --clicks 10000000 --devices 1000000

The index is bulk-loaded with the view store's own table layout by a child process (sorted
chunks, one transaction each); ``check_rows`` asserts those rows equal the projection's.
SQLite only: on PostgreSQL the same lookups are B-tree range scans of the same keys.

A third of the installs come from devices with clicks (device-id match), a third only share
IP and User-Agent with a click (probabilistic), a third are unknown (Organic).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

from tracker.bootstrap import bootstrap
from tracker.codec import MsgpackTranscoder
from tracker.domain.attribution import key_part, normalise_ua
from tracker.domain.ingest import SdkEventReceived
from tracker.projections.touchpoints import index_rows, ts_key
from tracker.services.attribution import AttributionService
from tracker.settings import load_settings

END = datetime(2026, 11, 8, 12, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MODELS = ["Pixel 7", "Pixel 8", "SM-G991B", "SM-A536B", "Redmi Note 12", "CPH2451"]


def click_ua(model: str) -> str:
    return (
        f"Mozilla/5.0 (Linux; Android 14; {model} Build/UQ1A; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.178 Mobile Safari/537.36"
    )


def sdk_ua(model: str) -> str:
    return f"Dalvik/2.1.0 (Linux; U; Android 14; {model} Build/UQ1A)"


UA_NORM = [normalise_ua(click_ua(m)) for m in MODELS]


def gaid(n: int) -> str:
    return str(UUID(int=(n + 1) * 0x9E3779B97F4A7C15 % (1 << 128)))


def ip_of(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rows_for(rnd: random.Random, app_id: str, codes: list[str], args, start_us: int, n: int):
    """``n`` clicks as index rows, built by hand for speed; ``check_rows`` shows they equal
    what the projection writes."""
    codec = MsgpackTranscoder()
    values = {code: codec.encode([code, "android", None]) for code in codes}
    span_us = args.days * 86_400_000_000
    rows = []
    for _ in range(n):
        device = rnd.randrange(args.devices)
        ts = EPOCH + timedelta(microseconds=start_us + rnd.randrange(span_us))
        stamp = ts_key(ts)
        h = f"{rnd.getrandbits(128):032x}"
        click = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        code = codes[device % len(codes)]
        value = values[code]
        fp = key_part(f"fp:{ip_of(device)}|{UA_NORM[device % len(MODELS)]}")
        rows.append((f"click/{app_id}/{fp}/{stamp}/{click}", value))
        if device % 2 == 0:  # half the clicks carry the gaid
            rows.append((f"click/{app_id}/gaid:{gaid(device)}/{stamp}/{click}", value))
        rows.append((f"clickid/{click}", codec.encode_native([ts, code, app_id, "android", None])))
    return rows


def check_rows(app_id: str, codes: list[str], args) -> None:
    rnd = random.Random(7)
    start_us = int((END - EPOCH).total_seconds() * 1e6) - args.days * 86_400_000_000
    fast = dict(_rows_for(random.Random(7), app_id, codes, args, start_us, 50))
    codec = MsgpackTranscoder()
    slow = {}
    for _ in range(50):
        device = rnd.randrange(args.devices)
        ts = EPOCH + timedelta(microseconds=start_us + rnd.randrange(args.days * 86_400_000_000))
        click = str(UUID(int=rnd.getrandbits(128)))
        for key, value in index_rows(
            "click",
            click,
            ts,
            codes[device % len(codes)],
            app_id,
            "android",
            None,
            {"gaid": gaid(device)} if device % 2 == 0 else {},
            ip_of(device),
            click_ua(MODELS[device % len(MODELS)]),
        ):
            slow[key] = codec.encode(value)
    assert fast == slow, "the bench's rows differ from the projection's"


def _chunk(job: tuple) -> list[tuple[str, bytes]]:
    seed, app_id, codes, args, start_us, n = job
    rows = _rows_for(random.Random(seed), app_id, codes, args, start_us, n)
    rows.sort()
    return rows


def load(path: str, app_id: str, codes: list[str], args: argparse.Namespace) -> None:
    """Runs in a child process (two generators feeding one writer), so the parent's peak RSS
    is the attribution's alone."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA cache_size=-524288")  # 512 MB, for the loader only
    conn.execute("PRAGMA synchronous=OFF")
    start_us = int((END - EPOCH).total_seconds() * 1e6) - args.days * 86_400_000_000
    sizes = [args.chunk] * (args.clicks // args.chunk)
    if args.clicks % args.chunk:
        sizes.append(args.clicks % args.chunk)
    jobs = [(seed, app_id, codes, args, start_us, n) for seed, n in enumerate(sizes)]
    began = time.perf_counter()
    done = 0
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for n, rows in zip(sizes, pool.imap(_chunk, jobs), strict=True):
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT OR REPLACE INTO view_rows (view, key, value) VALUES ('touchpoints', ?, ?)",
                rows,
            )
            conn.execute("COMMIT")
            done += n
            rate = done / (time.perf_counter() - began)
            print(f"  loaded {done:>11,} clicks ({rate:,.0f}/s)", flush=True)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--installs", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=250_000)
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    data_dir = args.data_dir or tempfile.mkdtemp(prefix="bench-attribution-")
    overrides: dict[str, object] = {"data_dir": data_dir}
    tracker = bootstrap(load_settings({}, **overrides), load_entry_points=False)
    try:
        app = tracker.catalog_service.register_app(
            title="Bench", platform="android", store_url=None, bundle_id=None, attribution=None
        )
        campaign = tracker.catalog_service.create_campaign(
            title="Bench", campaign_type="regular", traffic_type="media", partner_id=None
        )
        tracker.refresh_directory()
        codes = []
        for n in range(8):
            link = tracker.catalog_service.create_link(
                str(campaign.id),
                app_id=str(app.id),
                attribution=None,
                title=f"L{n}",
                target_url="https://play.google.com/store/apps/details?id=bench",
                targets=None,
                deep_link=None,
                deferred_deep_link=True,
            )
            codes.append(link.code)
        tracker.refresh_directory()
        check_rows(str(app.id), codes, args)
        print(f"loading {args.clicks:,} clicks for {args.devices:,} devices (SQLite, {data_dir})")
        began = time.perf_counter()
        loader = multiprocessing.get_context("fork").Process(
            target=load, args=(f"{data_dir}/views.sqlite", str(app.id), codes, args)
        )
        loader.start()
        loader.join()
        assert loader.exitcode == 0
        print(f"loaded in {time.perf_counter() - began:,.0f} s")
        print(f"peak RSS before the installs {peak_rss_mb():,.0f} MB")

        service = AttributionService(tracker.stores, tracker.catalog, tracker.views)
        # Time the durable save of each decision apart from finding and deciding, so the
        # figures show what the index costs and what the disk's fsync adds.
        saving = [0.0]
        save = service._app.save

        def timed_save(*args: object, **kwargs: object) -> object:
            began = time.perf_counter()
            try:
                return save(*args, **kwargs)
            finally:
                saving[0] += time.perf_counter() - began

        service._app.save = timed_save
        rnd = random.Random(2)
        timings = []
        deciding = []
        outcomes: dict[str, int] = {}
        for n in range(args.installs):
            device = rnd.randrange(args.devices)
            model = MODELS[device % len(MODELS)]
            third = n % 3
            ids: dict[str, str] = {"instance_id": f"bench-{n}"}
            if third == 0:
                ids["gaid"] = gaid(device - device % 2)  # a device whose clicks carry its gaid
            elif third == 2:
                device = args.devices + n  # never clicked
            event = SdkEventReceived(
                originator_id=SdkEventReceived.id_for(str(app.id), f"e{n}"),
                originator_version=1,
                timestamp=END,
                app_id=str(app.id),
                event_id=f"e{n}",
                type="install",
                name=None,
                event_ts=END,
                device=ids,
                ip=ip_of(device - device % 2 if third == 0 else device),
                ua=sdk_ua(model),
                referrer=None,
                revenue=None,
                currency=None,
                params={},
                source="sdk",
            )
            saving[0] = 0.0
            began = time.perf_counter()
            service.refresh_touchpoints()
            answer = service.handle(event)
            timings.append(time.perf_counter() - began)
            deciding.append(timings[-1] - saving[0])
            key = f"{answer['attribution']['type']}/{answer['attribution']['method']}"
            outcomes[key] = outcomes.get(key, 0) + 1
        for label, values in (
            ("look up + decide", deciding),
            ("look up + decide + durable save", timings),
        ):
            values.sort()
            p50 = statistics.median(values) * 1000
            p99 = values[int(len(values) * 0.99) - 1] * 1000
            print(f"{args.installs:,} installs, {label}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        print("outcomes: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
        print(f"peak RSS {peak_rss_mb():,.0f} MB")
    finally:
        tracker.close()
        if not args.keep and not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
