"""Tracking links: regular ones to one app, smart ones with a target per platform."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate, event

from tracker.domain.catalog._shared import (
    _NS,
    _choice,
    _given,
    _record_changes,
    _title,
    stable_topics,
)
from tracker.domain.catalog.settings import AttributionSettings
from tracker.domain.catalog.vocabulary import LINK_STATUSES, PLATFORMS
from tracker.domain.errors import DomainError
from tracker.domain.rules import check_url


@stable_topics
class TrackingLink(Aggregate):
    """Attribution settings are copied from the app when the link is created and never change."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(_NS, f"link/{code}")

    @event("Created")
    def __init__(
        self,
        code: str,
        campaign_id: str,
        title: str,
        kind: str,
        app_id: str | None,
        target_url: str | None,
        targets: dict[str, str] | None,
        deep_link: str | None,
        deferred_deep_link: bool,
        attribution: dict[str, Any],
    ) -> None:
        self.code = code
        self.campaign_id = campaign_id
        self.title = title
        self.kind = kind
        self.app_id = app_id
        self.target_url = target_url
        self.targets = targets
        self.deep_link = deep_link
        self.deferred_deep_link = deferred_deep_link
        self.attribution = attribution
        self.status = "active"

    @classmethod
    def create(
        cls,
        *,
        code: str,
        campaign_id: str,
        title: str,
        app_id: str | None,
        target_url: str | None,
        targets: dict[str, str] | None,
        deep_link: str | None,
        deferred_deep_link: bool,
        attribution: AttributionSettings,
    ) -> TrackingLink:
        if targets is not None:
            kind = "smart"
            if target_url:
                raise DomainError("target_url", "a smart link has targets, not a target_url")
            for platform in targets:
                if platform not in (*PLATFORMS, "fallback"):
                    raise DomainError(f"targets.{platform}", "unknown platform")
            if not targets.get("fallback"):
                raise DomainError("targets.fallback", "a smart link needs a fallback URL")
            targets = {k: check_url(f"targets.{k}", v) for k, v in targets.items() if v}
        else:
            kind = "regular"
            if not app_id:
                raise DomainError("app_id", "required for a regular link")
            if not target_url:
                raise DomainError("target_url", "required for a regular link")
            check_url("target_url", target_url)
        if deep_link is not None and not deep_link.strip():
            deep_link = None
        return cls(
            code=code,
            campaign_id=campaign_id,
            title=_title(title),
            kind=kind,
            app_id=app_id,
            target_url=target_url,
            targets=targets,
            deep_link=deep_link,
            deferred_deep_link=deferred_deep_link,
            attribution=attribution.validated().to_dict(),
        )

    @property
    def attribution_settings(self) -> AttributionSettings:
        return msgspec.convert(self.attribution, AttributionSettings)

    def update(
        self,
        *,
        title: str | None = None,
        status: str | None = None,
        target_url: str | None = None,
        deep_link: str | None = None,
    ) -> None:
        """Code, campaign, app, kind and attribution settings never change."""
        clean = _given(title=title, status=status, target_url=target_url, deep_link=deep_link)
        if "status" in clean:
            _choice("status", clean["status"], LINK_STATUSES)
        if "target_url" in clean:
            if self.kind != "regular":
                raise DomainError("target_url", "a smart link has targets, not a target_url")
            check_url("target_url", clean["target_url"])
        if "deep_link" in clean and not clean["deep_link"].strip():
            clean["deep_link"] = None  # an empty deep link removes it
        _record_changes(self, clean)

    @event("Updated")
    def _updated(self, changes: dict[str, Any]) -> None:
        self.__dict__.update(changes)
