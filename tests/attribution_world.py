"""Test helper: apps, links, touchpoints and SDK events written the way ingest writes them
(straight into the ``ingest`` Application), so attribution can be driven without HTTP."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from tracker.bootstrap import Tracker
from tracker.domain.ingest import ClickRecorded, ImpressionRecorded, SdkEventReceived

ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/121.0.6167.178 Mobile Safari/537.36"
)
SDK_UA = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Build/UQ1A.240205.004)"


class World:
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.ingest = tracker.stores.ingest

    def app(self, platform: str = "android", **attribution: Any) -> str:
        app = self.tracker.catalog_service.register_app(
            title="App",
            platform=platform,
            store_url=None,
            bundle_id=None,
            attribution=attribution or None,
        )
        self.tracker.refresh_directory()
        return str(app.id)

    def link(
        self,
        app_id: str | None,
        *,
        campaign_type: str = "regular",
        deep_link: str | None = None,
        partner_id: str | None = None,
        **attribution: Any,
    ) -> str:
        service = self.tracker.catalog_service
        campaign = service.create_campaign(
            title="Campaign",
            campaign_type=campaign_type,
            traffic_type="media",
            partner_id=partner_id,
        )
        self.tracker.refresh_directory()
        fields: dict[str, Any] = (
            {"target_url": "https://play.google.com/store/apps/details?id=x", "targets": None}
            if app_id
            else {"target_url": None, "targets": {"fallback": "https://example.com/"}}
        )
        link = service.create_link(
            str(campaign.id),
            app_id=app_id,
            attribution=attribution or None,
            title="Link",
            deep_link=deep_link,
            deferred_deep_link=True,
            **fields,
        )
        self.tracker.refresh_directory()
        return link.code

    def touch(
        self,
        code: str,
        ts: datetime,
        *,
        kind: str = "click",
        ip: str | None = None,
        ua: str | None = None,
        platform: str | None = "android",
        params: dict[str, str] | None = None,
        subids: dict[str, str] | None = None,
        country: str | None = None,
        cost: dict[str, Any] | None = None,
        **device: str,
    ) -> str:
        link = self.tracker.catalog.link(code)
        assert link is not None
        campaign = self.tracker.catalog.campaign(link.campaign_id)
        common: dict[str, Any] = dict(
            originator_id=uuid4(),
            originator_version=1,
            timestamp=ts,
            link_code=code,
            campaign_id=link.campaign_id,
            partner_id=campaign.partner_id if campaign else None,
            app_id=link.app_id,
            platform=platform,
            ip=ip,
            ua=ua,
            device=device,
            subids=subids or {},
            cost=cost,
            params=params or {},
            malformed={},
            s2s=False,
        )
        event = (
            ClickRecorded(target_url=link.target_url, country=country, **common)
            if kind == "click"
            else ImpressionRecorded(country=country, **common)
        )
        self.ingest.recorder.insert_events([self.ingest.mapper.to_stored_event(event)])
        return str(event.originator_id)

    def sdk(
        self,
        app_id: str,
        type: str,
        ts: datetime,
        *,
        event_id: str | None = None,
        referrer: str | None = None,
        ip: str | None = None,
        ua: str | None = None,
        params: dict[str, str] | None = None,
        revenue: str | None = None,
        currency: str | None = None,
        name: str | None = None,
        country: str | None = None,
        **device: str,
    ) -> SdkEventReceived:
        event_id = event_id or str(uuid4())
        event = SdkEventReceived(
            originator_id=SdkEventReceived.id_for(app_id, event_id),
            originator_version=1,
            timestamp=ts,
            app_id=app_id,
            event_id=event_id,
            type=type,
            name=name,
            event_ts=ts,
            device=device,
            ip=ip,
            ua=ua,
            referrer=referrer,
            revenue=Decimal(revenue) if revenue else None,
            currency=currency,
            params=params or {},
            source="sdk",
            country=country,
        )
        self.ingest.recorder.insert_events([self.ingest.mapper.to_stored_event(event)])
        return event


def world_with_postback(
    tracker: Tracker, url: str, *, partner_id: str | None = None, **postback: Any
) -> tuple[World, str, str]:
    """A world with a partner (a new custom one "Net", or ``partner_id``), an app, a link of
    that partner and a postback of its attributed installs to ``url``, filtered to it:
    (world, app id, link code)."""
    world = World(tracker)
    service = tracker.catalog_service
    if partner_id is None:
        partner = service.create_partner(title="Net", utm_sources=["net"], macros={}, params={})
        partner_id = str(partner.id)
        tracker.refresh_directory()
    app_id = world.app()
    code = world.link(app_id, partner_id=partner_id)
    fields = dict(
        title="Installs to Net",
        event="install",
        event_name=None,
        partner_id=partner_id,
        campaign_id=None,
        app_id=None,
        mode="attributed",
        method="GET",
        url=url,
        body=None,
    )
    service.configure_postback(**{**fields, **postback})
    tracker.refresh_directory()
    return world, app_id, code


def install_id_of(event: SdkEventReceived) -> str:
    return str(event.originator_id)


def is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
