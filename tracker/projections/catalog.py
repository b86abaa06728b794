"""The catalog view: the latest state of every catalog aggregate, with lookup keys.

Built by applying each event to the aggregate it belongs to, with the domain's own
``mutate``; kept in memory by every web process (the hot path's link directory) and in the
view store for auditors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracker.domain.catalog import (
    ApiToken,
    App,
    Campaign,
    Correction,
    FxRates,
    Partner,
    PartnerSending,
    Postback,
    TrackingLink,
    TrafficType,
)
from tracker.domain.money import FxTable
from tracker.projections.base import Projection, Rows, prefix_range

KINDS: dict[type, str] = {
    App: "app",
    Partner: "partner",
    PartnerSending: "partner_sending",
    TrafficType: "traffic_type",
    Campaign: "campaign",
    TrackingLink: "link",
    Correction: "correction",
    Postback: "postback",
    ApiToken: "token",
    FxRates: "fx_rates",
}

_FX_RATES_KEY = f"fx_rates/{FxRates.create_id()}"
_NO_RATES = FxTable()


def _kind_of(event: Any) -> str:
    owner = event.originator_topic if hasattr(event, "originator_topic") else None
    for cls, kind in KINDS.items():
        if type(event).__qualname__.startswith(cls.__qualname__ + ".") or (
            owner and owner.endswith(":" + cls.__qualname__)
        ):
            return kind
    raise ValueError(f"not a catalog event: {type(event).__qualname__}")


class CatalogProjection(Projection):
    name = "catalog"
    application = "catalog"

    def apply(self, event: Any, rows: Rows) -> None:
        kind = _kind_of(event)
        key = f"{kind}/{event.originator_id}"
        aggregate = event.mutate(rows.get(key))
        rows.put(key, aggregate)
        if event.originator_version == 1:
            # Lookup keys of values that never change after creation.
            if isinstance(aggregate, TrackingLink):
                rows.put(f"code/{aggregate.code}", str(aggregate.id))
            elif isinstance(aggregate, App):
                rows.put(f"sdk_key/{aggregate.sdk_key}", str(aggregate.id))
            elif isinstance(aggregate, ApiToken):
                rows.put(f"token_hash/{aggregate.token_hash}", str(aggregate.id))
            elif isinstance(aggregate, TrafficType):
                rows.put(f"traffic_type_name/{aggregate.name}", str(aggregate.id))
            elif isinstance(aggregate, PartnerSending):
                rows.put(f"sending_of/{aggregate.partner_id}", str(aggregate.id))


class Catalog:
    """Typed reads over the catalog view's rows."""

    def __init__(self, rows: Rows) -> None:
        self._rows = rows
        self._fx: tuple[dict[str, dict[str, str]], FxTable] = ({}, _NO_RATES)

    def _get(self, kind: str, id_: str) -> Any | None:
        return self._rows.get(f"{kind}/{id_}")

    def _all(self, kind: str) -> Iterator[Any]:
        lo, hi = prefix_range(f"{kind}/")
        for _, value in self._rows.scan(lo, hi):
            yield value

    def _by(self, index: str, value: str, kind: str) -> Any | None:
        id_ = self._rows.get(f"{index}/{value}")
        return None if id_ is None else self._get(kind, id_)

    def app(self, id_: str) -> App | None:
        return self._get("app", id_)

    def apps(self) -> list[App]:
        return sorted(self._all("app"), key=lambda a: a.created_on)

    def app_by_sdk_key(self, sdk_key: str) -> App | None:
        return self._by("sdk_key", sdk_key, "app")

    def partner(self, id_: str) -> Partner | None:
        return self._get("partner", id_)

    def partners(self) -> list[Partner]:
        return sorted(self._all("partner"), key=lambda a: a.created_on)

    def sending(self, partner_id: str) -> dict[str, dict[str, str]]:
        """Sending modes of any partner (custom, integrated or system): app id -> event -> mode."""
        custom = self.partner(partner_id)
        if custom is not None:
            return custom.sending
        settings = self._by("sending_of", partner_id, "partner_sending")
        return {} if settings is None else settings.sending

    def partner_settings(self, partner_id: str, app_id: str) -> dict[str, str]:
        """Per-app settings of any partner, with their values (for the postback sender, never
        for an API answer): setting name -> value; empty when none is set."""
        owner = self._settings_owner(partner_id)
        return {} if owner is None else dict(owner.settings.get(app_id, {}))

    def partner_setting_names(self, partner_id: str) -> dict[str, list[str]]:
        """The names of the settings set for any partner, without values: app id -> names."""
        owner = self._settings_owner(partner_id)
        if owner is None:
            return {}
        return {app_id: sorted(values) for app_id, values in owner.settings.items()}

    def _settings_owner(self, partner_id: str) -> Partner | PartnerSending | None:
        custom = self.partner(partner_id)
        if custom is not None:
            return custom
        return self._by("sending_of", partner_id, "partner_sending")

    def traffic_types(self) -> list[TrafficType]:
        return sorted(self._all("traffic_type"), key=lambda a: a.created_on)

    def traffic_type_by_name(self, name: str) -> TrafficType | None:
        return self._by("traffic_type_name", name, "traffic_type")

    def campaign(self, id_: str) -> Campaign | None:
        return self._get("campaign", id_)

    def campaigns(self) -> list[Campaign]:
        return sorted(self._all("campaign"), key=lambda a: a.created_on)

    def link(self, code: str) -> TrackingLink | None:
        return self._by("code", code, "link")

    def links(self) -> list[TrackingLink]:
        return sorted(self._all("link"), key=lambda a: a.created_on)

    def correction(self, id_: str) -> Correction | None:
        return self._get("correction", id_)

    def corrections(self) -> list[Correction]:
        return sorted(self._all("correction"), key=lambda a: a.created_on)

    def postback(self, id_: str) -> Postback | None:
        return self._get("postback", id_)

    def postback_secret(self, id_: str) -> str | None:
        """The signing secret of a postback (for the postback sender, never for an API
        answer); None when it has none or there is no such postback."""
        postback = self.postback(id_)
        return None if postback is None else postback.secret

    def postbacks(self) -> list[Postback]:
        return sorted(self._all("postback"), key=lambda a: a.created_on)

    def token(self, token_hash: str) -> ApiToken | None:
        return self._by("token_hash", token_hash, "token")

    def tokens(self) -> list[ApiToken]:
        return sorted(self._all("token"), key=lambda a: a.created_on)

    def fx_rates(self) -> FxRates | None:
        return self._rows.get(_FX_RATES_KEY)

    def fx_table(self) -> FxTable:
        """The FX rates as an immutable table for conversions, built again only when a new
        version of the rates is seen: each ``RatesSet`` gives the aggregate a new ``rates``
        dict, and the dict, unlike ``version``, is replaced in one step."""
        aggregate = self.fx_rates()
        if aggregate is None:
            return _NO_RATES
        rates = aggregate.rates
        cached = self._fx
        if cached[0] is not rates:
            cached = (rates, FxTable.from_stored(rates))
            self._fx = cached
        return cached[1]
