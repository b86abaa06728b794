"""Attribution windows: an app's defaults, copied onto each link when it is created."""

from __future__ import annotations

from typing import Any

import msgspec

from tracker.domain.rules import check_range


class AttributionSettings(msgspec.Struct, kw_only=True, frozen=True):
    click_window_hours: int = 168
    view_window_hours: int = 24
    fingerprint_window_hours: int = 24
    inactivity_window_days: int = 30
    reattribute_to_organic: bool = True

    def validated(self, field: str = "attribution") -> AttributionSettings:
        check_range(f"{field}.click_window_hours", self.click_window_hours, 1, 720)
        check_range(f"{field}.view_window_hours", self.view_window_hours, 1, 168)
        check_range(f"{field}.fingerprint_window_hours", self.fingerprint_window_hours, 1, 24)
        check_range(f"{field}.inactivity_window_days", self.inactivity_window_days, 1, 365)
        return self

    def merged(self, changes: dict[str, Any] | None) -> AttributionSettings:
        return msgspec.structs.replace(self, **(changes or {})).validated()

    def to_dict(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)
