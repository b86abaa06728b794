"""Clicks and impressions: resolve the link in the in-memory catalog, build the event, and
wait until it is committed. A redirect may only be answered for a stored click, so the outcome
says what was stored; the web layer (``tracker/web/touch.py``) turns it into the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

from eventsourcing.persistence import StoredEvent

from tracker.ingest.params import parse_touch
from tracker.ingest.records import IdFactory, TouchEncoder, touch_state
from tracker.ingest.store import WriteFailed
from tracker.ingest.targets import choose_target, is_google_play, platform_of, with_play_referrer

if TYPE_CHECKING:
    from tracker.bootstrap import Tracker


class EventWriter(Protocol):
    async def write(self, event: StoredEvent) -> None:
        """Returns once the event is committed; raises WriteFailed when it was not."""
        ...


class TouchOutcome(NamedTuple):
    status: Literal["stored", "no_link", "not_stored"]
    touch_id: str = ""
    location: str | None = None  # where a click is redirected
    no_redirect: bool = False  # server-to-server: answer with the ids, not a redirect
    pixel: bool = False


_NO_LINK = TouchOutcome("no_link")
_NOT_STORED = TouchOutcome("not_stored")


class TouchService:
    def __init__(self, tracker: Tracker, writer: EventWriter) -> None:
        self._catalog = tracker.catalog
        self._clock = tracker.clock
        self._writer = writer
        self._encoder = TouchEncoder(tracker.stores.ingest.mapper)
        self._new_id = IdFactory()
        # ua-parser compiles its rules on first use (~0.3 s), and the country data loads on
        # first use (~0.2 s): not on a user's click.
        platform_of("Mozilla/5.0 (Linux; Android 14)")
        self._country_of = tracker.country_of

    async def record(
        self, *, click: bool, code: str, query: bytes, ua: str | None, ip: str | None
    ) -> TouchOutcome:
        catalog = self._catalog
        link = catalog.link(code)
        if link is None:
            return _NO_LINK
        campaign = catalog.campaign(link.campaign_id)
        touch = parse_touch(query)
        if touch.no_redirect:
            # A partner's server sends the user's IP and UA along; a browser's own request
            # carries them itself, so there they would only let a click claim another device.
            ua = touch.ua if touch.ua is not None else ua
            ip = touch.ip if touch.ip is not None else ip
        else:
            for name, given in (("mt_ip", touch.ip), ("mt_ua", touch.ua)):
                if given is not None:
                    touch.malformed[name] = "only honoured with mt_no_redirect=1 (server-to-server)"
        platform = platform_of(ua)
        event_id = self._new_id()
        touch_id = str(event_id)
        location = None
        if click:
            app = catalog.app(link.app_id) if link.app_id else None
            location = choose_target(link, app, platform)
            if is_google_play(location):
                location = with_play_referrer(location, touch_id)
        state = touch_state(
            timestamp=self._clock(),
            link=link,
            partner_id=campaign.partner_id if campaign is not None else None,
            platform=platform,
            ip=ip,
            ua=ua,
            touch=touch,
            s2s=touch.no_redirect,
            target_url=location,
            click=click,
            country=self._country_of(ip),
        )
        try:
            await self._writer.write(self._encoder.stored(event_id, state, click=click))
        except WriteFailed:
            return _NOT_STORED
        return TouchOutcome("stored", touch_id, location, touch.no_redirect, touch.pixel)
