"""Clicks and impressions as StoredEvents, built without the aggregate machinery.

A touchpoint's stored state is exactly what ``Mapper.to_stored_event`` would write for the
``ClickRecorded``/``ImpressionRecorded`` event (its fields minus originator id and version,
msgpack-encoded, then compressed and encrypted when the application is set up so), so
``mapper.to_domain_event`` restores the event unchanged.
"""

from __future__ import annotations

import itertools
import os
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from tracker.codec import MsgpackTranscoder, ext_decimal
from tracker.domain.ingest import ClickRecorded, ImpressionRecorded
from tracker.ingest.params import Touch

CLICK_TOPIC = get_topic(ClickRecorded)
IMPRESSION_TOPIC = get_topic(ImpressionRecorded)


class IdFactory:
    """Well-formed version-4 UUIDs from a random per-process prefix and a counter: unique
    across processes (58 random bits per process) and about 4x cheaper than ``uuid4()``."""

    def __init__(self, seed: int | None = None) -> None:
        prefix = int.from_bytes(os.urandom(8)) if seed is None else seed
        # Version nibble 4 in the high half; variant bits 10 at the top of the low half.
        prefix = (prefix & ~(0xF << 12)) | (0x4 << 12)
        self._high = (prefix & 0xFFFFFFFFFFFFFFFF) << 64
        self._counter = itertools.count(int.from_bytes(os.urandom(7)) if seed is None else 0)

    def __call__(self) -> UUID:
        low = (next(self._counter) & 0x3FFFFFFFFFFFFFFF) | 0x8000000000000000
        return UUID(int=self._high | low)


def touch_state(
    *,
    timestamp: datetime,
    link: Any,
    partner_id: str | None,
    platform: str | None,
    ip: str | None,
    ua: str | None,
    touch: Touch,
    s2s: bool,
    target_url: str | None,
    click: bool,
    country: str | None = None,
) -> dict[str, Any]:
    """The event's fields minus originator id/version, with Decimals as msgpack extensions."""
    cost = touch.cost
    if cost is not None:
        cost = {**cost, "value": ext_decimal(cost["value"])}
    state = {
        "timestamp": timestamp,
        "link_code": link.code,
        "campaign_id": link.campaign_id,
        "partner_id": partner_id,
        "app_id": link.app_id,
        "platform": platform,
        "ip": ip,
        "ua": ua,
        "device": touch.device,
        "subids": touch.subids,
        "cost": cost,
        "params": touch.params,
        "malformed": touch.malformed,
        "s2s": s2s,
    }
    if click:
        state["target_url"] = target_url
    state["country"] = country  # field order as in the event class: the same bytes
    return state


class TouchEncoder:
    """Encodes touch states for one application's store the way its Mapper would."""

    def __init__(self, mapper: Mapper) -> None:
        transcoder = mapper.transcoder
        if not isinstance(transcoder, MsgpackTranscoder):
            raise TypeError("the ingest store must use the msgpack transcoder")
        self._encode = transcoder.encode_native
        self._compressor = mapper.compressor
        self._cipher = mapper.cipher

    def stored(self, event_id: UUID, state: dict[str, Any], *, click: bool) -> StoredEvent:
        data = self._encode(state)
        if self._compressor:
            data = self._compressor.compress(data)
        if self._cipher:
            data = self._cipher.encrypt(data)
        return StoredEvent(
            originator_id=event_id,
            originator_version=1,
            topic=CLICK_TOPIC if click else IMPRESSION_TOPIC,
            state=data,
        )
