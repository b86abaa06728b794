"""The report service's cut of a range at a zone's offset changes (DST)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracker.services.reports import offset_segments


def test_a_range_across_the_end_of_summer_time_is_cut_at_the_change():
    lo = datetime(2026, 10, 24, 22, tzinfo=UTC)  # 2026-10-25 00:00 in Berlin (CEST)
    hi = datetime(2026, 10, 26, 23, tzinfo=UTC)  # 2026-10-27 00:00 in Berlin (CET)
    change = datetime(2026, 10, 25, 1, tzinfo=UTC)
    assert offset_segments("Europe/Berlin", lo, hi) == [(lo, change, 7200), (change, hi, 3600)]


def test_utc_is_one_segment():
    lo = datetime(2026, 1, 1, tzinfo=UTC)
    assert offset_segments("UTC", lo, lo + timedelta(days=90)) == [(lo, lo + timedelta(days=90), 0)]
