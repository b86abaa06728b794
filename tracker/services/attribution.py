"""Attribution use cases: look the candidates up, let the engine decide, record the decision.

Synchronous and blocking (store reads and writes): the ``AttributorActor`` runs it in a thread,
one device at a time per lane. The store is the final judge of "once": a device and the keys
naming it are created in one save, so a racing duplicate (another lane, another process) fails
with an ``IntegrityError`` and is handled again, now finding the device.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from tracker.application import EventStores
from tracker.domain.attribution import (
    MAX_CLICK_WINDOW_HOURS,
    MAX_FINGERPRINT_HOURS,
    MAX_VIEW_WINDOW_HOURS,
    Candidates,
    Decision,
    PassedOver,
    Touchpoint,
    Trigger,
    decide,
    device_keys,
    fingerprint,
    parse_referrer,
    preinstall_link_codes,
)
from tracker.domain.catalog import App, AttributionSettings, Campaign, TrackingLink
from tracker.domain.devices import Device, DeviceKey
from tracker.domain.ingest import SdkEventReceived
from tracker.projections.base import Rows
from tracker.projections.catalog import Catalog
from tracker.projections.installs import InstallsProjection
from tracker.projections.touchpoints import (
    ANY_APP,
    TouchpointProjection,
    index_prefix,
    parse_ts_key,
    ts_key,
)
from tracker.stores import ViewStore, catch_up

log = logging.getLogger(__name__)

SCAN_LIMIT = 10  # candidates per identifier and method: enough to explain, bounded to read
RETRIES = 5


class AttributionService:
    def __init__(self, stores: EventStores, catalog: Catalog, views: ViewStore) -> None:
        self._app = stores.attribution
        self._ingest = stores.ingest
        self._catalog_app = stores.catalog
        self._catalog = catalog
        self._views = views
        self.touchpoints = TouchpointProjection()
        self.installs = InstallsProjection()

    # -- views ---------------------------------------------------------------------------------

    def refresh_touchpoints(self) -> int:
        return catch_up(self._ingest, self.touchpoints, self._views)

    def ingest_head(self) -> int:
        """The position of the last event stored on the ingest stream."""
        return self._ingest.recorder.max_notification_id() or 0

    def touchpoints_behind(self, head: int) -> bool:
        """Whether a click or impression up to ``head`` is not in the touchpoint index yet."""
        position = self._views.position(self.touchpoints.name)
        if position >= head:
            return False
        later = self._ingest.recorder.select_notifications(
            start=position + 1, limit=1, stop=head, topics=self.touchpoints.topics
        )
        return bool(later)

    def refresh_installs(self) -> int:
        return catch_up(self._app, self.installs, self._views)

    # -- catalog reads (the in-memory directory may lag a change made a moment ago) -----------

    def _link(self, code: str) -> TrackingLink | None:
        found = self._catalog.link(code)
        return self._catalog_object(TrackingLink, found, TrackingLink.create_id(code))

    def _campaign(self, campaign_id: str) -> Campaign | None:
        found = self._catalog.campaign(campaign_id)
        return self._catalog_object(Campaign, found, _as_uuid(campaign_id))

    def _app_of(self, app_id: str) -> App | None:
        return self._catalog_object(App, self._catalog.app(app_id), _as_uuid(app_id))

    def _catalog_object(self, cls: type, found: Any | None, id_: UUID | None) -> Any | None:
        """The directory's copy, else the store's (for an object created a moment ago)."""
        if found is None and id_ is not None:
            found = self._aggregate(self._catalog_app, id_)
        return found if isinstance(found, cls) else None

    @staticmethod
    def _aggregate(application: Any, id_: UUID) -> Any | None:
        try:
            return application.repository.get(id_)
        except AggregateNotFoundError:
            return None

    # -- devices -------------------------------------------------------------------------------

    def _claimed_by(self, app_id: str, kind: str, value: str) -> UUID | None:
        """The device a key names: one read of the key's only event (no snapshot look-up)."""
        records = self._app.recorder.select_events(
            DeviceKey.create_id(app_id, kind, value), limit=1
        )
        return self._app.mapper.to_domain_event(records[0]).device_id if records else None

    def find_device(
        self,
        app_id: str,
        keys: list[tuple[str, str]],
        unclaimed: set[tuple[str, str]] | None = None,
    ) -> Device | None:
        """The device named by the first claimed key; ``unclaimed`` collects the keys found
        free on the way."""
        for key in keys:
            device_id = self._claimed_by(app_id, *key)
            if device_id is not None:
                return self._aggregate(self._app, device_id)
            if unclaimed is not None:
                unclaimed.add(key)
        return None

    def device_attribution(self, app_id: str, device: dict[str, str]) -> dict[str, Any] | None:
        """What ``GET /sdk/v1/attribution`` answers, or None for an unknown device."""
        found = self.find_device(app_id, device_keys(device))
        if found is None:
            return None
        a = found.current_attribution
        return {
            "install_id": a.install_id,
            "device_id": str(found.id),
            "installed_at": found.installed_at,
            "attribution": a.answer(),
            "deep_link": a.deep_link,
        }

    # -- decisions -----------------------------------------------------------------------------

    def handle(self, event: SdkEventReceived) -> dict[str, Any]:
        """Attribute one stored SDK event; returns the extra fields of its SDK answer."""
        for attempt in range(RETRIES):
            try:
                return self._handle_once(event)
            except IntegrityError:
                # Someone else recorded this device first: look again, now finding it.
                log.debug("attribution conflict on %s, attempt %d", event.event_id, attempt + 1)
        raise RuntimeError(f"attribution of event {event.event_id} kept conflicting")

    def _handle_once(self, ev: SdkEventReceived) -> dict[str, Any]:
        keys = device_keys(ev.device)
        if not keys:
            if ev.type != "install":
                return {}
            keys = [("event", str(ev.originator_id))]  # nothing names the device but this
        app = self._app_of(ev.app_id)
        settings = app.attribution_settings if app else AttributionSettings()
        platform = app.platform if app else None
        instance_id = ev.device.get("instance_id") or None
        names = [f"{k}:{v}" for k, v in keys]

        free: set[tuple[str, str]] = set()
        device = self.find_device(ev.app_id, keys, free)
        trigger = Trigger(
            id=str(ev.originator_id),
            type="install",
            ts=ev.event_ts,
            app_id=ev.app_id,
            platform=platform,
            country=ev.country,
        )
        if device is None:
            decision = decide(trigger, self._candidates(ev, keys, trigger, None), None, settings)
            device = Device(
                app_id=ev.app_id,
                first_key=names[0],
                keys=names,
                instance_id=instance_id,
                decision=decision.to_event(),
            )
            claims = self._claims(ev.app_id, keys, device.id, free)
            if ev.type != "install":
                self._record(device, ev)
            self._app.save(device, *claims)
            return _answer(decision, ev, fresh=True)

        known = set(device.keys)
        claims = self._claims(
            ev.app_id, [k for k in keys if f"{k[0]}:{k[1]}" not in known], device.id, free
        )
        device.add_keys([f"{c.kind}:{c.value}" for c in claims])
        answer: dict[str, Any] = {}
        asked = device.trigger_for(ev.type, instance_id, trigger, settings.inactivity_window_days)
        if asked is not None:
            prior = device.prior()
            candidates = self._candidates(ev, keys, asked, prior.last_activity)
            decision = decide(asked, candidates, prior, settings)
            if decision.type != "none":
                device.decide(decision, instance_id)
                answer = _answer(decision, ev, fresh=decision.reattributed)
        elif ev.type == "install":
            answer = _current(device)  # the same installation again: nothing to decide
        if ev.type != "install":
            self._record(device, ev)
        self._app.save(device, *claims)
        return answer

    def _claims(
        self,
        app_id: str,
        keys: list[tuple[str, str]],
        device_id: UUID,
        free: set[tuple[str, str]],
    ) -> list[DeviceKey]:
        return [
            DeviceKey(app_id=app_id, kind=kind, value=value, device_id=device_id)
            for kind, value in keys
            if (kind, value) in free or self._claimed_by(app_id, kind, value) is None
        ]

    @staticmethod
    def _record(device: Device, ev: SdkEventReceived) -> None:
        device.record_event(
            event_id=ev.event_id,
            sdk_event_id=str(ev.originator_id),
            type=ev.type,
            name=ev.name,
            event_ts=ev.event_ts,
            revenue=ev.revenue,
            currency=ev.currency,
        )

    # -- candidates ----------------------------------------------------------------------------

    def _candidates(
        self,
        ev: SdkEventReceived,
        keys: list[tuple[str, str]],
        trigger: Trigger,
        since: datetime | None,
    ) -> Candidates:
        unresolved: list[PassedOver] = []
        flags: list[str] = []
        preinstall: list[Touchpoint] = []
        referrer: Touchpoint | None = None
        at = trigger.ts
        with self._views.transaction(self.touchpoints.name) as rows:
            if trigger.type == "install":
                marks = parse_referrer(ev.referrer)
                if marks.decoded_again:
                    flags.append("referrer_decoded_again")
                if marks.bad_click_id:
                    unresolved.append(
                        _unresolved(
                            marks.bad_click_id,
                            "referrer",
                            "mt_click_id in the referrer is not a click id",
                        )
                    )
                for code in preinstall_link_codes(marks, ev.params):
                    tp = self._touchpoint("preinstall", code, None, code, None, None, "mt_link_id")
                    if tp is None:
                        unresolved.append(_unresolved(code, "preinstall", f"no link {code!r}"))
                    else:
                        preinstall.append(tp)
                if marks.click_id:
                    found = rows.get(f"clickid/{marks.click_id}")
                    if found is not None:
                        ts, code, _app, plat, partner, *facts = found
                        referrer = self._touchpoint(
                            "click", marks.click_id, ts, code, plat, partner, "referrer", *facts
                        )
                    if referrer is None:
                        unresolved.append(
                            _unresolved(
                                marks.click_id, "referrer", "the referrer's click is unknown"
                            )
                        )
            ids = [(k, v) for k, v in keys if k not in ("instance_id", "event")]
            clicks = self._scan(rows, "click", ids, ev.app_id, at, MAX_CLICK_WINDOW_HOURS, since)
            views = self._scan(rows, "impression", ids, ev.app_id, at, MAX_VIEW_WINDOW_HOURS, since)
            fp = fingerprint(ev.ip, ev.ua)
            prints = (
                self._scan(rows, "click", [("fp", fp)], ev.app_id, at, MAX_FINGERPRINT_HOURS, since)
                if fp
                else []
            )
        return Candidates(
            preinstall=tuple(preinstall),
            referrer=referrer,
            clicks=tuple(clicks),
            impressions=tuple(views),
            fingerprint=tuple(prints),
            unresolved=tuple(unresolved),
            flags=tuple(flags),
        )

    def _scan(
        self,
        rows: Rows,
        kind: str,
        ids: list[tuple[str, str]],
        app_id: str,
        at: datetime,
        hours: int,
        since: datetime | None,
    ) -> list[Touchpoint]:
        floor = at - timedelta(hours=hours)
        if since is not None and since > floor:
            floor = since
        found: list[Touchpoint] = []
        for field, value in ids:
            for app in (app_id, ANY_APP):
                prefix = index_prefix(kind, app, f"{field}:{value}")
                for key, row in rows.scan(
                    prefix + ts_key(floor),
                    prefix + ts_key(at) + "/\uffff",
                    reverse=True,
                    limit=SCAN_LIMIT,
                ):
                    stamp, _, tp_id = key[len(prefix) :].partition("/")
                    tp = self._touchpoint(
                        kind, tp_id, parse_ts_key(stamp), *row[:3], field, *row[3:]
                    )
                    if tp is not None:
                        found.append(tp)
        return found

    def _touchpoint(
        self,
        kind: str,
        id_: str,
        ts: datetime | None,
        code: str,
        platform: str | None,
        partner_id: str | None,
        matched_by: str,
        facts: dict[str, Any] | None = None,
    ) -> Touchpoint | None:
        link = self._link(code)
        if link is None:
            return None
        campaign = self._campaign(link.campaign_id)
        return Touchpoint(
            id=id_,
            kind=kind,  # type: ignore[arg-type]
            ts=ts,
            link_code=code,
            campaign_id=link.campaign_id,
            partner_id=partner_id or (campaign.partner_id if campaign else None),
            campaign_type=campaign.campaign_type if campaign else "regular",
            app_id=link.app_id,
            platform=platform,
            matched_by="fingerprint" if matched_by == "fp" else matched_by,
            settings=link.attribution_settings,
            deep_link=link.deep_link if link.deferred_deep_link else None,
            subids=(facts or {}).get("subids", {}),
            country=(facts or {}).get("country"),
            cost=(facts or {}).get("cost"),
        )

    # -- explain and export --------------------------------------------------------------------

    def decision_of(self, install_id: str) -> dict[str, Any] | None:
        with self._views.transaction(self.installs.name) as rows:
            key = rows.get(f"install/{install_id}")
            return None if key is None else rows.get(key)

    def page(self, prefix: str, lo: str, hi: str, limit: int) -> list[tuple[str, Any]]:
        with self._views.transaction(self.installs.name) as rows:
            return list(rows.scan(prefix + lo, prefix + hi, limit=limit))


def _unresolved(id_: str, method: str, reason: str) -> PassedOver:
    return PassedOver(
        id=id_, kind="click" if method == "referrer" else method, method=method, reason=reason
    )


def _answer(decision: Decision, ev: SdkEventReceived, *, fresh: bool) -> dict[str, Any]:
    a = decision.attribution
    answer: dict[str, Any] = {"install_id": a.install_id, "attribution": a.answer()}
    if fresh and a.deep_link:
        answer["deep_link"] = a.deep_link
    return answer


def _current(device: Device) -> dict[str, Any]:
    a = device.current_attribution
    return {"install_id": a.install_id, "attribution": a.answer()}


def _as_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None
