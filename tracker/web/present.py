"""How catalog objects look in API answers (money as decimal strings, ids as strings)."""

from __future__ import annotations

from typing import Any

from tracker.domain.catalog import (
    ApiToken,
    App,
    Campaign,
    Correction,
    Partner,
    Postback,
    TrackingLink,
    TrafficType,
)
from tracker.domain.macros import rewrite_link_template
from tracker.plugin_types import PartnerSpec


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def app(a: App) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "title": a.title,
        "platform": a.platform,
        "store_url": a.store_url,
        "bundle_id": a.bundle_id,
        "sdk_key": a.sdk_key,
        "attribution": a.attribution,
        "redirect_url": a.redirect_url,
        "created_at": a.created_on,
        "updated_at": a.modified_on,
    }


def custom_partner(p: Partner) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "title": p.title,
        "kind": "custom",
        "utm_sources": p.utm_sources,
        "macros": p.macros,
        "params": p.params,
        "sending": p.sending,
        "settings": {app_id: sorted(values) for app_id, values in p.settings.items()},
        "created_at": p.created_on,
    }


def plugin_partner(
    p: PartnerSpec,
    sending: dict[str, dict[str, str]] | None = None,
    settings: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """An integrated or system partner; ``settings`` names the settings set per app."""
    return {
        "id": p.id,
        "title": p.title,
        "kind": p.kind,
        "utm_sources": list(p.utm_sources),
        "macros": p.macros,
        "params": p.params,
        "sending": sending or {},
        "settings": settings or {},
    }


def partner_settings(app_id: str, settings: dict[str, str]) -> dict[str, Any]:
    """The settings an app has for a partner, by name only: values are never shown."""
    return {"app_id": app_id, "settings": dict.fromkeys(sorted(settings), "set")}


def traffic_type(t: TrafficType | str) -> dict[str, Any]:
    if isinstance(t, str):
        return {"name": t, "title": t, "standard": True, "archived": False}
    return {"name": t.name, "title": t.title, "standard": False, "archived": t.archived}


def tariff(t: dict[str, Any]) -> dict[str, Any]:
    return {**t, "rate": _money(t.get("rate")), "percent": _money(t.get("percent"))}


def campaign(c: Campaign) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "title": c.title,
        "campaign_type": c.campaign_type,
        "traffic_type": c.traffic_type,
        "partner_id": c.partner_id,
        "status": c.status,
        "tariffs": [tariff(t) for t in c.tariffs],
        "created_at": c.created_on,
        "updated_at": c.modified_on,
    }


def link(lk: TrackingLink, base_url: str, partner_macros: dict[str, str] | None) -> dict[str, Any]:
    click_url = f"{base_url}/c/{lk.code}"
    impression_url = f"{base_url}/i/{lk.code}"
    data = {
        "code": lk.code,
        "campaign_id": lk.campaign_id,
        "title": lk.title,
        "kind": lk.kind,
        "app_id": lk.app_id,
        "target_url": lk.target_url,
        "targets": lk.targets,
        "deep_link": lk.deep_link,
        "deferred_deep_link": lk.deferred_deep_link,
        "attribution": lk.attribution,
        "status": lk.status,
        "click_url": click_url,
        "impression_url": impression_url,
        "created_at": lk.created_on,
    }
    if partner_macros:
        # Built at read time, so a partner's new mapping shows on existing links too.
        data["click_url_template"] = rewrite_link_template(click_url, partner_macros)
        data["impression_url_template"] = rewrite_link_template(impression_url, partner_macros)
    return data


def correction(c: Correction) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "campaign_id": c.campaign_id,
        "app_id": c.app_id,
        "amount": _money(c.amount),
        "currency": c.currency,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "timezone": c.timezone,
        "description": c.description,
        "deleted": c.deleted,
        "created_at": c.created_on,
    }


def postback(p: Postback) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "title": p.title,
        "event": p.event,
        "event_name": p.event_name,
        "partner_id": p.partner_id,
        "campaign_id": p.campaign_id,
        "app_id": p.app_id,
        "mode": p.mode,
        "method": p.method,
        "url": p.url,
        "body": p.body,
        "signed": p.secret is not None,
        "created_at": p.created_on,
    }


def token(t: ApiToken) -> dict[str, Any]:
    """A token's record; the token itself is never stored, so never shown again."""
    return {
        "id": str(t.id),
        "role": t.role,
        "partner_id": t.partner_id,
        "label": t.label,
        "revoked": t.revoked,
        "created_at": t.created_on,
        "updated_at": t.modified_on,
    }
