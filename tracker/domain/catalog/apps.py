"""Apps: what is tracked, on which platform, with which attribution defaults."""

from __future__ import annotations

from typing import Any

import msgspec
from eventsourcing.domain import Aggregate, event

from tracker.domain.catalog._shared import _choice, _given, _record_changes, _title, stable_topics
from tracker.domain.catalog.settings import AttributionSettings
from tracker.domain.catalog.vocabulary import PLATFORMS
from tracker.domain.rules import check_url


@stable_topics
class App(Aggregate):
    @event("Registered")
    def __init__(
        self,
        title: str,
        platform: str,
        store_url: str | None,
        bundle_id: str | None,
        sdk_key: str,
        attribution: dict[str, Any],
    ) -> None:
        self.title = title
        self.platform = platform
        self.store_url = store_url
        self.bundle_id = bundle_id
        self.sdk_key = sdk_key
        self.attribution = attribution
        self.redirect_url: str | None = None

    @classmethod
    def register(
        cls,
        *,
        title: str,
        platform: str,
        store_url: str | None,
        bundle_id: str | None,
        sdk_key: str,
        attribution: AttributionSettings,
    ) -> App:
        _choice("platform", platform, PLATFORMS)
        if store_url:
            check_url("store_url", store_url)
        return cls(
            title=_title(title),
            platform=platform,
            store_url=store_url,
            bundle_id=bundle_id,
            sdk_key=sdk_key,
            attribution=attribution.validated().to_dict(),
        )

    @property
    def attribution_settings(self) -> AttributionSettings:
        return msgspec.convert(self.attribution, AttributionSettings)

    def update(
        self,
        *,
        title: str | None = None,
        store_url: str | None = None,
        bundle_id: str | None = None,
        attribution: dict[str, Any] | None = None,
    ) -> None:
        changes = _given(title=title, store_url=store_url, bundle_id=bundle_id)
        if "store_url" in changes:
            check_url("store_url", changes["store_url"])
        if attribution is not None:
            changes["attribution"] = self.attribution_settings.merged(attribution).to_dict()
        _record_changes(self, changes)

    @event("Updated")
    def _updated(self, changes: dict[str, Any]) -> None:
        self.__dict__.update(changes)

    def set_redirect(self, url: str | None) -> None:
        if url:
            check_url("redirect_url", url)
        if url != self.redirect_url:
            self._redirect_set(url=url or None)

    @event("TrafficRedirectionSet")
    def _redirect_set(self, url: str | None) -> None:
        self.redirect_url = url
