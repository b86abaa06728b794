"""Value types shared with plugin authors (re-exported from ``tracker``)."""

from __future__ import annotations

import msgspec


class PartnerSpec(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    title: str
    kind: str = "integrated"
    utm_sources: tuple[str, ...] = ()
    macros: dict[str, str] = {}
    params: dict[str, str] = {}
