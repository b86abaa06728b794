"""SDK and S2S event batches: store what is new in one transaction, then attribute.

A batch is idempotent by event id: a repeat answers ``duplicate``. A repeated install goes to
attribution again (deciding is idempotent per device), so a retrying SDK gets its attribution
back and an install whose first answer failed after it was stored is still decided; other
repeats would count twice, so they stay out.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, Protocol

import trio
from eventsourcing.persistence import IntegrityError

from tracker.application import IngestApplication
from tracker.domain.errors import Conflict, Unavailable
from tracker.domain.ingest import SdkEventReceived
from tracker.ingest.geo import CountryOf
from tracker.ingest.sdk import EventIn, build_events
from tracker.ingest.store import stored_originator_ids

log = logging.getLogger(__name__)

STORE_RETRIES = 5


class AttributionPort(Protocol):
    async def on_sdk_events(self, events: Sequence[SdkEventReceived]) -> dict[str, dict[str, Any]]:
        """Called with newly stored (not duplicate) events, in order. Returns, per client
        ``event_id``, the extra fields of its SDK answer (``install_id``, ``attribution``,
        ``deep_link``)."""
        ...


def first_occurrences(events: Sequence[SdkEventReceived]) -> dict[Any, int]:
    """Each stored id's first index in the batch (a batch may repeat an event id)."""
    first: dict[Any, int] = {}
    for i, e in enumerate(events):
        first.setdefault(e.originator_id, i)
    return first


def store_new_events(
    app: IngestApplication, events: Sequence[SdkEventReceived], first: dict[Any, int]
) -> list[int]:
    """Store, in one transaction, the events whose ids are not stored yet; return the
    indexes of those newly stored. A concurrent writer of the same ids wins cleanly: the
    insert fails whole and the check runs again."""
    for _ in range(STORE_RETRIES):
        stored = stored_originator_ids(app, first)
        new = [i for oid, i in first.items() if oid not in stored]
        if not new:
            return []
        try:
            app.recorder.insert_events([app.mapper.to_stored_event(events[i]) for i in new])
        except IntegrityError:
            continue
        return new
    raise Conflict("events", "stored concurrently by another request; send the batch again")


class IngestService:
    def __init__(
        self,
        store: IngestApplication,
        attribution: AttributionPort,
        *,
        clock: Callable[[], datetime],
        country_of: CountryOf,
        on_stored: Callable[[], None] = lambda: None,  # after storing and attributing
        run_sync: Callable[..., Awaitable[Any]] = trio.to_thread.run_sync,
        store_threads: int = 2,
    ) -> None:
        self._store = store
        self.attribution = attribution
        self._clock = clock
        self._country_of = country_of
        self._on_stored = on_stored
        self._run_sync = run_sync
        self._limiter = trio.CapacityLimiter(store_threads)

    async def ingest(
        self,
        batch: list[EventIn],
        *,
        app_id: str,
        source: str,
        ip: str | None,
        ua: str | None,
    ) -> list[dict[str, Any]]:
        """Validate, store and attribute a batch; one result per event, in order. Raises
        ``DomainError`` (nothing stored) for an invalid event and ``Unavailable`` when the
        events were stored but could not be attributed."""
        events = build_events(
            batch,
            app_id=app_id,
            received=self._clock(),
            source=source,
            ip=ip,
            ua=ua,
            country_of=self._country_of,
        )
        first = first_occurrences(events)
        new = await self._run_sync(
            partial(store_new_events, self._store, events, first), limiter=self._limiter
        )
        accepted = set(new)
        firsts = set(first.values())
        decide = [
            e
            for i, e in enumerate(events)
            if i in accepted or (e.type == "install" and i in firsts)
        ]
        try:
            extras = await self.attribution.on_sdk_events(decide) if decide else {}
        except Exception:
            log.exception("attribution failed for a stored batch")
            raise Unavailable(
                "attribution", "events stored but not attributed; send again"
            ) from None
        finally:
            if new:
                self._on_stored()
        return [
            {
                "event_id": e.event_id,
                "status": "accepted" if i in accepted else "duplicate",
                **extras.get(e.event_id, {}),
            }
            for i, e in enumerate(events)
        ]
