"""Rebuild every projection from zero into a scratch store and compare it with the live one."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.bootstrap import Tracker
from tracker.codec import MsgpackTranscoder
from tracker.projections.base import Projection
from tracker.stores import SqliteViewStore, catch_up


@dataclass
class ViewReport:
    name: str
    position: int
    rows: int
    difference: str | None = None
    behind_from: int | None = None


@dataclass
class ReplayReport:
    views: list[ViewReport] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return all(v.difference is None for v in self.views)

    def summary(self) -> str:
        lines = []
        for v in self.views:
            state = "equal" if v.difference is None else f"DIFFERS: {v.difference}"
            lines.append(f"{v.name}: {v.rows} rows up to position {v.position}: {state}")
            if v.behind_from is not None:
                lines.append(
                    f"  note: events from position {v.behind_from} on are not in the live view "
                    "yet (is `tracker worker` running?) and were not compared"
                )
        lines.append("replay equals the live projections" if self.equal else "replay DIFFERS")
        return "\n".join(lines)


def _describe(key: str, live: bytes, scratch: bytes) -> str:
    codec = MsgpackTranscoder()
    left, right = codec.decode(live), codec.decode(scratch)
    if isinstance(left, dict) and isinstance(right, dict):
        fields = [
            f"{name}: live {left.get(name)!r} != replay {right.get(name)!r}"
            for name in sorted(set(left) | set(right))
            if left.get(name) != right.get(name)
        ]
        if fields:
            return f"row {key!r}: " + "; ".join(fields)
    return f"row {key!r}: live {left!r} != replay {right!r}"


def _first_difference(
    live: Iterable[tuple[str, bytes]], scratch: Iterable[tuple[str, bytes]]
) -> tuple[int, str | None]:
    """Walk both dumps in key order; return the rows compared and the first difference."""
    live_rows, scratch_rows = iter(live), iter(scratch)
    left, right = next(live_rows, None), next(scratch_rows, None)
    rows = 0
    while left is not None or right is not None:
        rows += 1
        if right is None or (left is not None and left[0] < right[0]):
            return rows, f"row {left[0]!r} is in the live view but not in the replay"
        if left is None or right[0] < left[0]:
            return rows, f"row {right[0]!r} is missing from the live view"
        if left[1] != right[1]:
            return rows, _describe(left[0], left[1], right[1])
        left, right = next(live_rows, None), next(scratch_rows, None)
    return rows, None


def _next_position(app: Any, projection: Projection, position: int) -> int | None:
    later = app.recorder.select_notifications(start=position + 1, limit=1, topics=projection.topics)
    return later[0].id if later else None


def replay(tracker: Tracker, *, progress: bool = False) -> ReplayReport:
    report = ReplayReport()
    with tempfile.TemporaryDirectory(prefix="tracker-replay-") as tmp:
        scratch = SqliteViewStore(Path(tmp) / "views.sqlite")
        try:
            for projection in tracker.projections:
                app = tracker.stores.named(projection.application)
                live_position = tracker.views.position(projection.name)
                bar = None
                if progress:
                    from tqdm import tqdm

                    bar = tqdm(total=live_position, desc=projection.name, unit="ev", leave=False)
                catch_up(
                    app,
                    projection,
                    scratch,
                    stop=live_position,
                    batch=1000,
                    progress=(lambda p, b=bar: b.update(p - b.n)) if bar else None,
                )
                if bar is not None:
                    bar.close()
                rows, difference = _first_difference(
                    tracker.views.dump(projection.name), scratch.dump(projection.name)
                )
                report.views.append(
                    ViewReport(
                        projection.name,
                        live_position,
                        rows,
                        difference,
                        behind_from=_next_position(app, projection, live_position),
                    )
                )
        finally:
            scratch.close()
    return report
