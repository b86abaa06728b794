"""Ingest events: one immutable event per click, impression and SDK/S2S event.

They are not aggregates: each is version 1 of its own id, written in groups straight
through the store's mapper (an aggregate per click would cost ~50 µs of Python each).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent

DEVICE_ID_FIELDS = ("gaid", "idfa", "android_id", "oaid", "idfv", "app_set_id")
SdkEventType = Literal["install", "launch", "registration", "login", "purchase", "custom"]
SDK_EVENT_TYPES: tuple[str, ...] = get_args(SdkEventType)
SUBID_FIELDS = (
    "network",
    "campaign",
    "adset",
    "creative",
    "medium",
    "sub1",
    "sub2",
    "sub3",
    "sub4",
    "sub5",
)
_NS = uuid5(NAMESPACE_URL, "https://tracker.invalid/ingest")


@dataclass(frozen=True)
class TouchpointRecorded(DomainEvent):
    """What a click and an impression have in common."""

    link_code: str
    campaign_id: str
    partner_id: str | None
    app_id: str | None
    platform: str | None
    ip: str | None
    ua: str | None
    device: dict[str, str]
    subids: dict[str, str]
    cost: dict[str, Any] | None
    params: dict[str, str]
    malformed: dict[str, str]
    s2s: bool


@dataclass(frozen=True)
class ClickRecorded(TouchpointRecorded):
    target_url: str | None
    # From the IP at ingest; events stored before the field existed read None.
    country: str | None = None


@dataclass(frozen=True)
class ImpressionRecorded(TouchpointRecorded):
    country: str | None = None


@dataclass(frozen=True)
class SdkEventReceived(DomainEvent):
    """An SDK or S2S event as received; the id is derived from (app, client event id)."""

    app_id: str
    event_id: str
    type: str
    name: str | None
    event_ts: datetime
    device: dict[str, str]
    ip: str | None
    ua: str | None
    referrer: str | None
    revenue: Decimal | None
    currency: str | None
    params: dict[str, str]
    source: str
    country: str | None = None

    @staticmethod
    def id_for(app_id: str, event_id: str) -> UUID:
        return uuid5(_NS, f"{app_id}/{event_id}")
