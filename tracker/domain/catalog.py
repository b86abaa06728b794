"""The catalog: apps, partners, traffic types, campaigns, links, tariffs, corrections,
postbacks and API tokens, as event-sourced aggregates.

Constructors and commands validate and then record an event; the decorated method bodies are
the event's ``apply`` and run again on replay, so they hold no validation and no I/O.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate, event

from tracker.domain.errors import DomainError, NotFound
from tracker.domain.rules import (
    check_currency,
    check_date_range,
    check_range,
    check_timezone,
    check_url,
    parse_money,
)

PLATFORMS = ("android", "ios", "web")
CAMPAIGN_TYPES = ("regular", "preinstall")
CAMPAIGN_STATUSES = ("active", "paused", "archived")
LINK_STATUSES = ("active", "archived")
STANDARD_TRAFFIC_TYPES = (
    "media",
    "search",
    "social",
    "incentive",
    "email",
    "preinstall",
    "influencer",
    "retargeting",
)
TARIFF_MODELS = ("cpa", "cpc", "cpm", "revshare", "other")
CPA_TARGETS = ("install", "reinstall", "reengagement", "first_payment", "custom_event")
POSTBACK_EVENTS = (
    "install",
    "reinstall",
    "reengagement",
    "registration",
    "login",
    "purchase",
    "first_payment",
    "custom",
)
SENDING_MODES = ("off", "attributed", "all")
TOKEN_ROLES = ("admin", "viewer", "partner")
SYSTEM_PARTNERS = ("organic", "no_partner")

_NS = uuid5(NAMESPACE_URL, "https://tracker.invalid/")


class AttributionSettings(msgspec.Struct, kw_only=True, frozen=True):
    click_window_hours: int = 168
    view_window_hours: int = 24
    fingerprint_window_hours: int = 24
    inactivity_window_days: int = 30
    reattribute_to_organic: bool = True

    def validated(self, field: str = "attribution") -> AttributionSettings:
        check_range(f"{field}.click_window_hours", self.click_window_hours, 1, 720)
        check_range(f"{field}.view_window_hours", self.view_window_hours, 1, 168)
        check_range(f"{field}.fingerprint_window_hours", self.fingerprint_window_hours, 1, 24)
        check_range(f"{field}.inactivity_window_days", self.inactivity_window_days, 1, 365)
        return self

    def merged(self, changes: dict[str, Any] | None) -> AttributionSettings:
        return msgspec.structs.replace(self, **(changes or {})).validated()

    def to_dict(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)


def _choice(field: str, value: str | None, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise DomainError(field, f"must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _title(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("title", "must not be empty")
    if len(value) > 200:
        raise DomainError("title", "longer than 200 characters")
    return value


def _given(**values: Any) -> dict[str, Any]:
    """The fields an update names (None means: leave as it is), a title checked and trimmed."""
    given = {k: v for k, v in values.items() if v is not None}
    if "title" in given:
        given["title"] = _title(given["title"])
    return given


def _record_changes(aggregate: Any, changes: dict[str, Any]) -> None:
    """Record the aggregate's ``Updated`` event with what really changes; nothing if nothing."""
    changed = {k: v for k, v in changes.items() if getattr(aggregate, k) != v}
    if changed:
        aggregate._updated(changes=changed)


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


class Partner(Aggregate):
    """A custom partner. Integrated partners come from plugins, system partners are fixed."""

    @event("Created")
    def __init__(
        self,
        title: str,
        utm_sources: list[str],
        macros: dict[str, str],
        params: dict[str, str],
    ) -> None:
        self.title = title
        self.utm_sources = utm_sources
        self.macros = macros
        self.params = params
        self.sending: dict[str, dict[str, str]] = {}

    @classmethod
    def create(
        cls,
        *,
        title: str,
        utm_sources: list[str],
        macros: dict[str, str],
        params: dict[str, str],
    ) -> Partner:
        return cls(
            title=_title(title),
            utm_sources=_utm_sources(utm_sources),
            macros=dict(macros),
            params=dict(params),
        )

    def update(
        self,
        *,
        title: str | None = None,
        utm_sources: list[str] | None = None,
        macros: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        clean = _given(title=title, utm_sources=utm_sources, macros=macros, params=params)
        if "utm_sources" in clean:
            clean["utm_sources"] = _utm_sources(clean["utm_sources"])
        _record_changes(self, clean)

    @event("Updated")
    def _updated(self, changes: dict[str, Any]) -> None:
        self.__dict__.update(changes)

    def set_sending(self, app_id: str, modes: dict[str, str]) -> None:
        _check_sending(modes)
        current = self.sending.get(app_id, {})
        if any(current.get(k) != v for k, v in modes.items()):
            self._sending_set(app_id=app_id, modes=dict(modes))

    @event("SendingModesSet")
    def _sending_set(self, app_id: str, modes: dict[str, str]) -> None:
        self.sending = {**self.sending, app_id: {**self.sending.get(app_id, {}), **modes}}


def _check_sending(modes: dict[str, str]) -> None:
    for event_type, mode in modes.items():
        _choice(event_type, event_type, POSTBACK_EVENTS)
        _choice(event_type, mode, SENDING_MODES)


class PartnerSending(Aggregate):
    """Sending modes of a partner that has no aggregate of its own (integrated and system
    partners come from plugins), one per partner id."""

    @staticmethod
    def create_id(partner_id: str) -> UUID:
        return uuid5(_NS, f"partner-sending/{partner_id}")

    @event("Created")
    def __init__(self, partner_id: str) -> None:
        self.partner_id = partner_id
        self.sending: dict[str, dict[str, str]] = {}

    def set_sending(self, app_id: str, modes: dict[str, str]) -> None:
        _check_sending(modes)
        current = self.sending.get(app_id, {})
        if any(current.get(k) != v for k, v in modes.items()):
            self._sending_set(app_id=app_id, modes=dict(modes))

    @event("SendingModesSet")
    def _sending_set(self, app_id: str, modes: dict[str, str]) -> None:
        self.sending = {**self.sending, app_id: {**self.sending.get(app_id, {}), **modes}}


def _utm_sources(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values if v and v.strip()]
    if not cleaned:
        raise DomainError("utm_sources", "at least one utm_source value is required")
    return cleaned


class TrafficType(Aggregate):
    """A user-added traffic type; the standard ones need no aggregate."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return uuid5(_NS, f"traffic-type/{name}")

    @event("Added")
    def __init__(self, name: str, title: str) -> None:
        self.name = name
        self.title = title
        self.archived = False

    @event("Archived")
    def archive(self) -> None:
        self.archived = True


class Tariff(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    model: str
    currency: str
    starts_on: date
    ends_on: date | None = None
    target: str | None = None
    event_name: str | None = None
    rate: Decimal | None = None
    percent: Decimal | None = None

    @classmethod
    def validated(cls, **fields: Any) -> Tariff:
        model = _choice("model", fields.get("model"), TARIFF_MODELS)
        check_currency("currency", fields.get("currency"))
        check_date_range("starts_on", fields["starts_on"], "ends_on", fields.get("ends_on"))
        if model == "cpa":
            target = _choice("target", fields.get("target"), CPA_TARGETS)
            if target == "custom_event" and not fields.get("event_name"):
                raise DomainError("event_name", "required for a custom_event target")
        else:
            fields["target"] = None
        if model in ("cpa", "cpc", "cpm"):
            if fields.get("rate") is None:
                raise DomainError("rate", f"required for a {model} tariff")
            fields["rate"] = parse_money("rate", fields["rate"])
            fields["percent"] = None
        elif model == "revshare":
            if fields.get("percent") is None:
                raise DomainError("percent", "required for a revshare tariff")
            fields["percent"] = parse_money("percent", fields["percent"])
            if fields["percent"] > 100:
                raise DomainError("percent", "must be at most 100")
            fields["rate"] = None
        return cls(**fields)


class Campaign(Aggregate):
    @event("Created")
    def __init__(
        self,
        title: str,
        campaign_type: str,
        traffic_type: str,
        partner_id: str | None,
    ) -> None:
        self.title = title
        self.campaign_type = campaign_type
        self.traffic_type = traffic_type
        self.partner_id = partner_id
        self.status = "active"
        self.tariffs: list[dict[str, Any]] = []

    @classmethod
    def create(
        cls, *, title: str, campaign_type: str, traffic_type: str, partner_id: str | None
    ) -> Campaign:
        _choice("campaign_type", campaign_type, CAMPAIGN_TYPES)
        return cls(
            title=_title(title),
            campaign_type=campaign_type,
            traffic_type=traffic_type,
            partner_id=partner_id,
        )

    def update(
        self,
        *,
        title: str | None = None,
        traffic_type: str | None = None,
        partner_id: str | None = None,
        status: str | None = None,
    ) -> None:
        """The campaign type is fixed at creation (preinstall attribution depends on it)."""
        clean = _given(title=title, traffic_type=traffic_type, partner_id=partner_id, status=status)
        if "status" in clean:
            _choice("status", clean["status"], CAMPAIGN_STATUSES)
        _record_changes(self, clean)

    @event("Updated")
    def _updated(self, changes: dict[str, Any]) -> None:
        self.__dict__.update(changes)

    def add_tariff(self, tariff: Tariff) -> None:
        self._tariff_added(tariff=msgspec.structs.asdict(tariff))

    @event("TariffAdded")
    def _tariff_added(self, tariff: dict[str, Any]) -> None:
        self.tariffs = [*self.tariffs, tariff]

    def end_tariff(self, tariff_id: str, ends_on: date) -> dict[str, Any]:
        """Set the last day (inclusive) a tariff applies; its rate and start stay as they
        were, so cost already reported for earlier days does not change."""
        check_date_range("starts_on", self._tariff(tariff_id)["starts_on"], "ends_on", ends_on)
        self._tariff_ended(tariff_id=tariff_id, ends_on=ends_on)
        return self._tariff(tariff_id)

    def _tariff(self, tariff_id: str) -> dict[str, Any]:
        for tariff in self.tariffs:
            if tariff["id"] == tariff_id:
                return tariff
        raise NotFound("tariff_id", f"no such tariff on this campaign: {tariff_id}")

    @event("TariffEnded")
    def _tariff_ended(self, tariff_id: str, ends_on: date) -> None:
        self.tariffs = [
            {**t, "ends_on": ends_on} if t["id"] == tariff_id else t for t in self.tariffs
        ]


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


class Correction(Aggregate):
    @event("Created")
    def __init__(
        self,
        campaign_id: str,
        app_id: str,
        amount: Decimal,
        currency: str,
        starts_on: date,
        ends_on: date,
        timezone: str,
        description: str,
    ) -> None:
        self.campaign_id = campaign_id
        self.app_id = app_id
        self.amount = amount
        self.currency = currency
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.timezone = timezone
        self.description = description
        self.deleted = False

    @classmethod
    def create(
        cls,
        *,
        campaign_id: str,
        app_id: str,
        amount: str | Decimal,
        currency: str,
        starts_on: date,
        ends_on: date,
        timezone: str,
        description: str,
    ) -> Correction:
        try:
            value = Decimal(str(amount))
        except ArithmeticError:
            raise DomainError("amount", f"{amount!r} is not a decimal number") from None
        if not value.is_finite():
            raise DomainError("amount", "must be a finite number")
        check_currency("currency", currency)
        check_date_range("starts_on", starts_on, "ends_on", ends_on)
        check_timezone("timezone", timezone)
        return cls(
            campaign_id=campaign_id,
            app_id=app_id,
            amount=value,
            currency=currency,
            starts_on=starts_on,
            ends_on=ends_on,
            timezone=timezone,
            description=description,
        )

    def delete(self) -> None:
        if self.deleted:
            raise DomainError("correction_id", "the correction is already deleted")
        self._deleted()

    @event("Deleted")
    def _deleted(self) -> None:
        self.deleted = True


class Postback(Aggregate):
    @event("Configured")
    def __init__(
        self,
        title: str,
        event: str,
        event_name: str | None,
        partner_id: str | None,
        campaign_id: str | None,
        app_id: str | None,
        mode: str,
        method: str,
        url: str,
        body: str | None,
    ) -> None:
        self.title = title
        self.event = event
        self.event_name = event_name
        self.partner_id = partner_id
        self.campaign_id = campaign_id
        self.app_id = app_id
        self.mode = mode
        self.method = method
        self.url = url
        self.body = body
        self.deleted = False

    @classmethod
    def configure(cls, **fields: Any) -> Postback:
        fields["title"] = _title(fields["title"])
        _choice("event", fields["event"], POSTBACK_EVENTS)
        if fields["event"] == "custom" and not fields.get("event_name"):
            raise DomainError("event_name", "required for a custom event postback")
        _choice("mode", fields["mode"], ("attributed", "all"))
        _choice("method", fields["method"], ("GET", "POST"))
        _check_template_url(fields["url"])
        if fields["method"] == "GET" and fields.get("body"):
            raise DomainError("body", "a GET postback has no body")
        return cls(**fields)

    def update(
        self,
        *,
        title: str | None = None,
        url: str | None = None,
        mode: str | None = None,
        body: str | None = None,
    ) -> None:
        clean = _given(title=title, url=url, mode=mode, body=body)
        if "mode" in clean:
            _choice("mode", clean["mode"], ("attributed", "all"))
        if "url" in clean:
            _check_template_url(clean["url"])
        if clean.get("body") and self.method == "GET":
            raise DomainError("body", "a GET postback has no body")
        _record_changes(self, clean)

    @event("Updated")
    def _updated(self, changes: dict[str, Any]) -> None:
        self.__dict__.update(changes)

    @event("Deleted")
    def delete(self) -> None:
        self.deleted = True


def _check_template_url(url: str) -> None:
    # Macros may stand anywhere, even in the host ({partner_host}), so check the template's
    # shape with every macro filled by a neutral value.
    import re

    check_url("url", re.sub(r"\{[A-Za-z0-9_]+\}", "x", url))


class ApiToken(Aggregate):
    """Only the SHA-256 of the token is ever stored."""

    @staticmethod
    def create_id(token_hash: str) -> UUID:
        return uuid5(_NS, f"token/{token_hash}")

    @event("Issued")
    def __init__(self, token_hash: str, role: str, partner_id: str | None, label: str) -> None:
        self.token_hash = token_hash
        self.role = role
        self.partner_id = partner_id
        self.label = label
        self.revoked = False

    @classmethod
    def issue(cls, *, token_hash: str, role: str, partner_id: str | None, label: str) -> ApiToken:
        _choice("role", role, TOKEN_ROLES)
        if role == "partner" and not partner_id:
            raise DomainError("partner_id", "a partner token names its partner")
        if role != "partner":
            partner_id = None
        return cls(token_hash=token_hash, role=role, partner_id=partner_id, label=label)

    @event("Revoked")
    def revoke(self) -> None:
        self.revoked = True
