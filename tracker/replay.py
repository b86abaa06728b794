"""Rebuild every projection from zero into a scratch store and compare it with the live one."""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tracker.bootstrap import Tracker
from tracker.codec import MsgpackTranscoder
from tracker.projections.base import SqliteViewStore, catch_up


@dataclass
class ViewReport:
    name: str
    position: int
    rows: int
    difference: str | None = None


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
        lines.append("replay equals the live projections" if self.equal else "replay DIFFERS")
        return "\n".join(lines)


def _first_difference(
    live: list[tuple[str, bytes]] | object, scratch: object
) -> tuple[int, str | None]:
    codec = MsgpackTranscoder()
    rows = 0
    for pair in itertools.zip_longest(live, scratch):  # type: ignore[call-overload]
        rows += 1
        left, right = pair
        if left is None:
            return rows, f"row {right[0]!r} is missing from the live view"
        if right is None:
            return rows, f"row {left[0]!r} is in the live view but not in the replay"
        if left[0] != right[0]:
            return rows, f"live has row {left[0]!r} where the replay has {right[0]!r}"
        if left[1] != right[1]:
            return rows, (
                f"row {left[0]!r}: live {codec.decode(left[1])!r} "
                f"!= replay {codec.decode(right[1])!r}"
            )
    return rows, None


def replay(tracker: Tracker, *, progress: bool = False) -> ReplayReport:
    report = ReplayReport()
    with tempfile.TemporaryDirectory(prefix="tracker-replay-") as tmp:
        scratch = SqliteViewStore(Path(tmp) / "views.sqlite")
        try:
            for projection in tracker.projections:
                app = tracker.applications[projection.application]
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
                report.views.append(ViewReport(projection.name, live_position, rows, difference))
        finally:
            scratch.close()
    return report
