"""Catalog use cases. Existence checks read the directory; writes go through the repository."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from tracker.application import CatalogApplication
from tracker.domain.catalog import (
    STANDARD_TRAFFIC_TYPES,
    ApiToken,
    App,
    AttributionSettings,
    Campaign,
    Correction,
    FxRates,
    Partner,
    PartnerSending,
    Postback,
    Tariff,
    TrackingLink,
    TrafficType,
)
from tracker.domain.catalog.fx import JSON_ROWS, RowNames
from tracker.domain.errors import Conflict, DomainError, NotFound
from tracker.plugin_types import PartnerSpec
from tracker.projections.catalog import Catalog


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link_code() -> str:
    return secrets.choice("abcdefghijkmnpqrstuvwxyz") + f"{secrets.randbelow(10**5):05d}"


def _uuid(field: str, value: str) -> UUID:
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise NotFound(field, f"no such {field.removesuffix('_id')}: {value!r}") from None


class CatalogService:
    def __init__(
        self,
        app: CatalogApplication,
        catalog: Catalog,
        plugin_partners: dict[str, PartnerSpec],
        *,
        new_code: Callable[[], str] = new_link_code,
        new_secret: Callable[[], str] = lambda: secrets.token_urlsafe(24),
        new_postback_secret: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    ) -> None:
        self._app = app
        self._catalog = catalog
        self._plugin_partners = plugin_partners
        self._new_code = new_code
        self._new_secret = new_secret
        self._new_postback_secret = new_postback_secret

    def _load(self, cls: type[Aggregate], field: str, id_: str | UUID) -> Any:
        uid = id_ if isinstance(id_, UUID) else _uuid(field, id_)
        try:
            aggregate = self._app.repository.get(uid)
        except AggregateNotFoundError:
            raise NotFound(field, f"no such {field.removesuffix('_id')}: {id_}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(field, f"no such {field.removesuffix('_id')}: {id_}")
        return aggregate

    def _save(self, *aggregates: Aggregate) -> None:
        try:
            self._app.save(*aggregates)
        except IntegrityError:
            # Another process saved the same aggregate version (or id) first.
            raise Conflict("id", "changed concurrently by another request; retry") from None

    # apps
    def register_app(self, *, attribution: dict[str, Any] | None, **fields: Any) -> App:
        settings = AttributionSettings().merged(attribution)
        app = App.register(sdk_key=self._new_secret(), attribution=settings, **fields)
        self._save(app)
        return app

    def update_app(self, app_id: str, *, redirect_url: str | None = None, **fields: Any) -> App:
        app: App = self._load(App, "app_id", app_id)
        app.update(**fields)
        if redirect_url is not None:
            app.set_redirect(redirect_url or None)
        self._save(app)
        return app

    # partners
    def partner_exists(self, partner_id: str) -> bool:
        if partner_id in self._plugin_partners:
            return True
        return self._catalog.partner(partner_id) is not None

    def create_partner(self, **fields: Any) -> Partner:
        partner = Partner.create(**fields)
        self._save(partner)
        return partner

    def update_partner(self, partner_id: str, **fields: Any) -> Partner:
        self._refuse_plugin_partner(partner_id)
        partner: Partner = self._load(Partner, "partner_id", partner_id)
        partner.update(**fields)
        self._save(partner)
        return partner

    def set_sending(
        self, partner_id: str, app_id: str, modes: dict[str, str]
    ) -> dict[str, dict[str, str]]:
        """Set sending modes of any partner for one app; return the partner's whole map."""
        if self._catalog.app(app_id) is None:
            raise NotFound("app_id", f"no such app: {app_id}")
        owner = self._sending_owner(partner_id)
        owner.set_sending(app_id, modes)
        self._save(owner)
        return owner.sending

    def set_partner_settings(
        self, partner_id: str, app_id: str, settings: dict[str, Any]
    ) -> dict[str, str]:
        """Set (a string) or remove (None) per-app settings of any partner; return the app's
        settings. A plugin's partner takes only the settings its spec declares."""
        if self._catalog.app(app_id) is None:
            raise NotFound("app_id", f"no such app: {app_id}")
        owner = self._sending_owner(partner_id)
        if isinstance(owner, PartnerSending):
            owner.set_settings(app_id, settings, self._plugin_partners[partner_id].settings)
        else:
            owner.set_settings(app_id, settings)
        self._save(owner)
        return dict(owner.settings.get(app_id, {}))

    def _sending_owner(self, partner_id: str) -> Partner | PartnerSending:
        """The aggregate that keeps a partner's sending modes and settings."""
        if partner_id not in self._plugin_partners:
            return self._load(Partner, "partner_id", partner_id)
        try:
            return self._app.repository.get(PartnerSending.create_id(partner_id))
        except AggregateNotFoundError:
            return PartnerSending(partner_id=partner_id)

    def _refuse_plugin_partner(self, partner_id: str) -> None:
        if partner_id in self._plugin_partners:
            raise Conflict(
                "partner_id", f"{partner_id} comes from a plugin and cannot be changed here"
            )

    # traffic types
    def traffic_type_usable(self, name: str) -> bool:
        if name in STANDARD_TRAFFIC_TYPES:
            return True
        custom = self._catalog.traffic_type_by_name(name)
        return custom is not None and not custom.archived

    def add_traffic_type(self, *, name: str, title: str | None) -> TrafficType:
        name = name.strip().lower()
        if not name or not name.replace("_", "").isalnum():
            raise DomainError("name", "letters, digits and underscores only")
        if name in STANDARD_TRAFFIC_TYPES or self._catalog.traffic_type_by_name(name):
            raise Conflict("name", f"traffic type {name!r} already exists")
        traffic_type = TrafficType(name=name, title=title or name)
        self._save(traffic_type)
        return traffic_type

    def archive_traffic_type(self, name: str) -> TrafficType:
        if name in STANDARD_TRAFFIC_TYPES:
            raise Conflict("name", "standard traffic types cannot be archived")
        found = self._catalog.traffic_type_by_name(name)
        if found is None:
            raise NotFound("name", f"no such traffic type: {name}")
        traffic_type: TrafficType = self._load(TrafficType, "name", found.id)
        if not traffic_type.archived:
            traffic_type.archive()
            self._save(traffic_type)
        return traffic_type

    # campaigns
    def create_campaign(
        self, *, partner_id: str | None, traffic_type: str, **fields: Any
    ) -> Campaign:
        if partner_id is not None and not self.partner_exists(partner_id):
            raise NotFound("partner_id", f"no such partner: {partner_id}")
        if not self.traffic_type_usable(traffic_type):
            raise NotFound("traffic_type", f"unknown or archived traffic type: {traffic_type}")
        campaign = Campaign.create(partner_id=partner_id, traffic_type=traffic_type, **fields)
        self._save(campaign)
        return campaign

    def update_campaign(self, campaign_id: str, **fields: Any) -> Campaign:
        campaign: Campaign = self._load(Campaign, "campaign_id", campaign_id)
        if fields.get("partner_id") is not None and not self.partner_exists(fields["partner_id"]):
            raise NotFound("partner_id", f"no such partner: {fields['partner_id']}")
        if fields.get("traffic_type") is not None and not self.traffic_type_usable(
            fields["traffic_type"]
        ):
            raise NotFound("traffic_type", f"unknown or archived: {fields['traffic_type']}")
        campaign.update(**fields)
        self._save(campaign)
        return campaign

    def add_tariff(self, campaign_id: str, **fields: Any) -> dict[str, Any]:
        campaign: Campaign = self._load(Campaign, "campaign_id", campaign_id)
        tariff = Tariff.validated(id=str(uuid4()), **fields)
        campaign.add_tariff(tariff)
        self._save(campaign)
        return campaign.tariffs[-1]

    def end_tariff(self, campaign_id: str, tariff_id: str, *, ends_on: date) -> dict[str, Any]:
        campaign: Campaign = self._load(Campaign, "campaign_id", campaign_id)
        tariff = campaign.end_tariff(tariff_id, ends_on)
        self._save(campaign)
        return tariff

    # links
    def create_link(
        self,
        campaign_id: str,
        *,
        app_id: str | None,
        attribution: dict[str, Any] | None,
        **fields: Any,
    ) -> TrackingLink:
        campaign = self._catalog.campaign(campaign_id)
        if campaign is None:
            raise NotFound("campaign_id", f"no such campaign: {campaign_id}")
        if campaign.status == "archived":
            raise DomainError("campaign_id", "the campaign is archived")
        defaults = AttributionSettings()
        if app_id is not None:
            app = self._catalog.app(app_id)
            if app is None:
                raise NotFound("app_id", f"no such app: {app_id}")
            defaults = app.attribution_settings
        settings = defaults.merged(attribution)
        for _ in range(20):
            code = self._new_code()
            if self._catalog.link(code) is not None:
                continue
            link = TrackingLink.create(
                code=code,
                campaign_id=str(campaign.id),
                app_id=app_id,
                attribution=settings,
                **fields,
            )
            try:
                self._app.save(link)
            except IntegrityError:
                continue  # another process took this code a moment ago
            return link
        raise Conflict("code", "could not find a free link code")

    def update_link(self, code: str, **fields: Any) -> TrackingLink:
        if self._catalog.link(code) is None:
            raise NotFound("code", f"no such link: {code}")
        link: TrackingLink = self._load(TrackingLink, "code", TrackingLink.create_id(code))
        link.update(**fields)
        self._save(link)
        return link

    # corrections
    def create_correction(self, campaign_id: str, *, app_id: str, **fields: Any) -> Correction:
        if self._catalog.campaign(campaign_id) is None:
            raise NotFound("campaign_id", f"no such campaign: {campaign_id}")
        if self._catalog.app(app_id) is None:
            raise NotFound("app_id", f"no such app: {app_id}")
        correction = Correction.create(campaign_id=campaign_id, app_id=app_id, **fields)
        self._save(correction)
        return correction

    def delete_correction(self, correction_id: str) -> Correction:
        correction: Correction = self._load(Correction, "correction_id", correction_id)
        if correction.deleted:
            raise NotFound("correction_id", f"no such correction: {correction_id} (deleted)")
        correction.delete()
        self._save(correction)
        return correction

    # FX rates
    def set_fx_rates(self, rows: Sequence[Sequence[Any]], names: RowNames = JSON_ROWS) -> int:
        """Set rates (date, currency, rate) all at once, or none if one is wrong; return how
        many were new or changed."""
        try:
            fx: FxRates = self._app.repository.get(FxRates.create_id())
        except AggregateNotFoundError:
            fx = FxRates()
        changed = fx.set_rates(rows, names)
        self._save(fx)
        return changed

    # postbacks
    def configure_postback(
        self, *, secret: str | None = None, generate_secret: bool = False, **fields: Any
    ) -> Postback:
        """Configure a postback, signed with ``secret`` or with one made here
        (``generate_secret``): read it from the postback returned, it is never shown again."""
        self._check_filters(fields)
        postback = Postback.configure(**fields)
        self._apply_secret(postback, secret, generate_secret, remove=False)
        self._save(postback)
        return postback

    def update_postback(
        self,
        postback_id: str,
        *,
        secret: str | None = None,
        generate_secret: bool = False,
        remove_secret: bool = False,
        **fields: Any,
    ) -> Postback:
        """Change a postback; ``secret`` replaces its secret, ``generate_secret`` makes a new
        one, ``remove_secret`` leaves it unsigned."""
        postback: Postback = self._load(Postback, "postback_id", postback_id)
        postback.update(**fields)
        self._apply_secret(postback, secret, generate_secret, remove=remove_secret)
        self._save(postback)
        return postback

    def _apply_secret(
        self, postback: Postback, secret: str | None, generate: bool, *, remove: bool
    ) -> None:
        if generate and (secret is not None or remove):
            raise DomainError("generate_secret", "give either a secret or generate_secret")
        if generate:
            postback.set_secret(self._new_postback_secret())
        elif secret is not None:
            postback.set_secret(secret)
        elif remove:
            postback.remove_secret()

    def delete_postback(self, postback_id: str) -> Postback:
        postback: Postback = self._load(Postback, "postback_id", postback_id)
        if postback.deleted:
            raise NotFound("postback_id", f"no such postback: {postback_id}")
        postback.delete()
        self._save(postback)
        return postback

    def _check_filters(self, fields: dict[str, Any]) -> None:
        if fields.get("partner_id") and not self.partner_exists(fields["partner_id"]):
            raise NotFound("partner_id", f"no such partner: {fields['partner_id']}")
        if fields.get("campaign_id") and not self._catalog.campaign(fields["campaign_id"]):
            raise NotFound("campaign_id", f"no such campaign: {fields['campaign_id']}")
        if fields.get("app_id") and not self._catalog.app(fields["app_id"]):
            raise NotFound("app_id", f"no such app: {fields['app_id']}")

    # tokens
    def issue_token(self, *, role: str, partner_id: str | None, label: str = "") -> str:
        if partner_id is not None and not self.partner_exists(partner_id):
            raise NotFound("partner_id", f"no such partner: {partner_id}")
        token = self._new_secret()
        self._save(
            ApiToken.issue(
                token_hash=hash_token(token), role=role, partner_id=partner_id, label=label
            )
        )
        return token

    def revoke_token(self, token_id: str) -> ApiToken:
        """Revoke a token for good; revoking a revoked token changes nothing."""
        token: ApiToken = self._load(ApiToken, "token_id", token_id)
        if not token.revoked:
            token.revoke()
            self._save(token)
        return token

    def ensure_token(self, token: str, *, role: str, label: str) -> bool:
        """Register a known token (``TRACKER_ADMIN_TOKEN``) once; True when it was new."""
        token_hash = hash_token(token)
        try:
            self._app.repository.get(ApiToken.create_id(token_hash))
            return False
        except AggregateNotFoundError:
            try:
                self._app.save(
                    ApiToken.issue(token_hash=token_hash, role=role, partner_id=None, label=label)
                )
            except IntegrityError:
                return False  # another process registered it at the same moment
            return True
