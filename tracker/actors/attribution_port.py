"""What ingest asks of attribution once SDK/S2S events are durably stored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from tracker.domain.ingest import SdkEventReceived


class AttributionPort(Protocol):
    async def on_sdk_events(self, events: Sequence[SdkEventReceived]) -> dict[str, dict[str, Any]]:
        """Called with newly stored (not duplicate) events, in order. Returns, per client
        ``event_id``, the extra fields of its SDK answer (``install_id``, ``attribution``,
        ``deep_link``)."""
        ...


class NoAttribution:
    """Until the attribution engine is wired in: installs are answered without attribution."""

    async def on_sdk_events(self, events: Sequence[SdkEventReceived]) -> dict[str, dict[str, Any]]:
        return {}
