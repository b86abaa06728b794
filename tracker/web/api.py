"""The management API (docs/catalog.md; the contract is /openapi.json, docs/api.md)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import msgspec
import trio
from quart import Blueprint, Response
from quart_schema import document_response, validate_querystring

from tracker.bootstrap import Tracker
from tracker.domain.catalog import STANDARD_TRAFFIC_TYPES, ApiToken, Postback
from tracker.domain.errors import Forbidden, NotFound
from tracker.services.catalog import hash_token
from tracker.web import present
from tracker.web.answers import (
    AppOut,
    AppsOut,
    CampaignOut,
    CampaignsOut,
    CorrectionOut,
    CorrectionsOut,
    EventsPageOut,
    LinkOut,
    LinksOut,
    PartnerOut,
    PartnersOut,
    PostbacksOut,
    SendingOut,
    TariffOut,
    TariffsOut,
    TokenCreatedOut,
    TokensOut,
    TrafficTypeOut,
    TrafficTypesOut,
)
from tracker.web.auth import current_principal, requires
from tracker.web.context import services, tracker
from tracker.web.openapi import answers
from tracker.web.responses import json_response
from tracker.web.schemas import (
    AppIn,
    AppPatch,
    CampaignIn,
    CampaignPatch,
    CorrectionIn,
    CorrectionsQuery,
    EventsQuery,
    LinkIn,
    LinkPatch,
    PartnerIn,
    PartnerPatch,
    PartnerSettingsIn,
    PartnerSettingsOut,
    PostbackIn,
    PostbackOut,
    PostbackPatch,
    SendingIn,
    TariffIn,
    TariffPatch,
    TokenIn,
    TrafficTypeIn,
    validate_body,
)

api = Blueprint("api", __name__, url_prefix="/api/v1")


def _tracker() -> Tracker:
    return tracker()


async def _write(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a catalog use case off the event loop, then show its result to this process."""
    tracker = _tracker()
    result = await trio.to_thread.run_sync(
        partial(fn, *args, **kwargs), limiter=services().write_limiter
    )
    tracker.refresh_directory()
    return result


def _fields(data: msgspec.Struct, *skip: str) -> dict[str, Any]:
    return {k: v for k, v in msgspec.structs.asdict(data).items() if k not in skip}


def _not_for_partners() -> None:
    if current_principal().role == "partner":
        raise Forbidden("Authorization", "a partner token sees only its campaigns and links")


# apps


@api.post("/apps")
@requires("write")
@validate_body(AppIn)
@document_response(AppOut, 201)
async def create_app(data: AppIn) -> Response:
    """Register an app; it gets an SDK key and default attribution settings."""
    attribution = data.attribution.changes() if data.attribution else None
    app = await _write(
        _tracker().catalog_service.register_app,
        attribution=attribution,
        **_fields(data, "attribution"),
    )
    return json_response(present.app(_tracker().catalog.app(str(app.id))), 201)


@api.get("/apps")
@requires("read")
@document_response(AppsOut)
async def list_apps() -> Response:
    """List every app."""
    _not_for_partners()
    return json_response({"apps": [present.app(a) for a in _tracker().catalog.apps()]})


def _app_or_404(app_id: str) -> Any:
    app = _tracker().catalog.app(app_id)
    if app is None:
        raise NotFound("app_id", f"no such app: {app_id}")
    return app


@api.get("/apps/<app_id>")
@requires("read")
@document_response(AppOut)
async def get_app(app_id: str) -> Response:
    """One app."""
    _not_for_partners()
    return json_response(present.app(_app_or_404(app_id)))


@api.patch("/apps/<app_id>")
@requires("write")
@validate_body(AppPatch)
@document_response(AppOut)
async def update_app(app_id: str, data: AppPatch) -> Response:
    """Change an app's title, URLs, default attribution or traffic redirection."""
    _app_or_404(app_id)
    fields = _fields(data, "attribution")
    fields["attribution"] = data.attribution.changes() if data.attribution else None
    await _write(_tracker().catalog_service.update_app, app_id, **fields)
    return json_response(present.app(_app_or_404(app_id)))


# partners


def _partner_json(partner_id: str) -> dict[str, Any]:
    tracker = _tracker()
    if partner_id in tracker.partners:
        return present.plugin_partner(
            tracker.partners[partner_id],
            tracker.catalog.sending(partner_id),
            tracker.catalog.partner_setting_names(partner_id),
        )
    partner = tracker.catalog.partner(partner_id)
    if partner is None:
        raise NotFound("partner_id", f"no such partner: {partner_id}")
    return present.custom_partner(partner)


@api.get("/partners")
@requires("read")
@document_response(PartnersOut)
async def list_partners() -> Response:
    """Integrated (from plugins), custom and system partners."""
    _not_for_partners()
    tracker = _tracker()
    catalog = tracker.catalog
    partners = [
        present.plugin_partner(p, catalog.sending(p.id), catalog.partner_setting_names(p.id))
        for p in tracker.partners.values()
    ]
    partners += [present.custom_partner(p) for p in tracker.catalog.partners()]
    return json_response({"partners": partners})


@api.get("/partners/<partner_id>")
@requires("read")
@document_response(PartnerOut)
async def get_partner(partner_id: str) -> Response:
    """One partner; a partner token sees only its own."""
    if not current_principal().can_see_partner(partner_id):
        raise Forbidden("partner_id", "another partner's data")
    return json_response(_partner_json(partner_id))


@api.post("/partners")
@requires("write")
@validate_body(PartnerIn)
@document_response(PartnerOut, 201)
async def create_partner(data: PartnerIn) -> Response:
    """Create a custom partner."""
    partner = await _write(_tracker().catalog_service.create_partner, **_fields(data))
    return json_response(_partner_json(str(partner.id)), 201)


@api.patch("/partners/<partner_id>")
@requires("write")
@validate_body(PartnerPatch)
@document_response(PartnerOut)
async def update_partner(partner_id: str, data: PartnerPatch) -> Response:
    """Change a custom partner."""
    _partner_json(partner_id)
    await _write(_tracker().catalog_service.update_partner, partner_id, **_fields(data))
    return json_response(_partner_json(partner_id))


@api.put("/partners/<partner_id>/sending/<app_id>")
@requires("write")
@validate_body(SendingIn)
@document_response(SendingOut)
async def set_sending(partner_id: str, app_id: str, data: SendingIn) -> Response:
    """Set postback sending modes (off/attributed/all) per event for one app."""
    _partner_json(partner_id)
    sending = await _write(_tracker().catalog_service.set_sending, partner_id, app_id, data.modes())
    return json_response(sending.get(app_id, {}))


@api.put("/partners/<partner_id>/settings/<app_id>")
@requires("write")
@validate_body(PartnerSettingsIn, decode_as=dict[str, Any])
@document_response(PartnerSettingsOut)
async def set_partner_settings(partner_id: str, app_id: str, data: dict[str, Any]) -> Response:
    """Set or remove a partner's settings for one app.

    Settings are the values a partner's postbacks need (an access token, the partner's own
    app id): a string sets one, null removes it. Values are never shown again; the answer
    names the settings the app has."""
    _partner_json(partner_id)
    settings = await _write(
        _tracker().catalog_service.set_partner_settings, partner_id, app_id, data
    )
    return json_response(present.partner_settings(app_id, settings))


# traffic types


@api.get("/traffic-types")
@requires("read")
@document_response(TrafficTypesOut)
async def list_traffic_types() -> Response:
    """Standard and user-added traffic types."""
    items = [present.traffic_type(t) for t in STANDARD_TRAFFIC_TYPES]
    items += [present.traffic_type(t) for t in _tracker().catalog.traffic_types()]
    return json_response({"traffic_types": items})


@api.post("/traffic-types")
@requires("write")
@validate_body(TrafficTypeIn)
@document_response(TrafficTypeOut, 201)
async def add_traffic_type(data: TrafficTypeIn) -> Response:
    """Add a traffic type."""
    added = await _write(_tracker().catalog_service.add_traffic_type, **_fields(data))
    return json_response(present.traffic_type(added), 201)


@api.post("/traffic-types/<name>/archive")
@requires("write")
@document_response(TrafficTypeOut)
async def archive_traffic_type(name: str) -> Response:
    """Archive a user-added traffic type: no new campaign can use it."""
    archived = await _write(_tracker().catalog_service.archive_traffic_type, name)
    return json_response(present.traffic_type(archived))


# campaigns


def _campaign_or_404(campaign_id: str) -> Any:
    campaign = _tracker().catalog.campaign(campaign_id)
    if campaign is None:
        raise NotFound("campaign_id", f"no such campaign: {campaign_id}")
    if not current_principal().can_see_partner(campaign.partner_id):
        raise Forbidden("campaign_id", "the campaign belongs to another partner")
    return campaign


@api.post("/campaigns")
@requires("write")
@validate_body(CampaignIn)
@document_response(CampaignOut, 201)
async def create_campaign(data: CampaignIn) -> Response:
    """Create a campaign."""
    campaign = await _write(_tracker().catalog_service.create_campaign, **_fields(data))
    return json_response(present.campaign(_campaign_or_404(str(campaign.id))), 201)


@api.get("/campaigns")
@requires("read")
@document_response(CampaignsOut)
async def list_campaigns() -> Response:
    """Campaigns; a partner token sees only its partner's."""
    principal = current_principal()
    campaigns = [
        present.campaign(c)
        for c in _tracker().catalog.campaigns()
        if principal.can_see_partner(c.partner_id)
    ]
    return json_response({"campaigns": campaigns})


@api.get("/campaigns/<campaign_id>")
@requires("read")
@document_response(CampaignOut)
async def get_campaign(campaign_id: str) -> Response:
    """One campaign with its tariffs."""
    return json_response(present.campaign(_campaign_or_404(campaign_id)))


@api.patch("/campaigns/<campaign_id>")
@requires("write")
@validate_body(CampaignPatch)
@document_response(CampaignOut)
async def update_campaign(campaign_id: str, data: CampaignPatch) -> Response:
    """Change a campaign's title, traffic type, partner or status."""
    _campaign_or_404(campaign_id)
    await _write(_tracker().catalog_service.update_campaign, campaign_id, **_fields(data))
    return json_response(present.campaign(_campaign_or_404(campaign_id)))


@api.post("/campaigns/<campaign_id>/tariffs")
@requires("write")
@validate_body(TariffIn)
@document_response(TariffOut, 201)
async def add_tariff(campaign_id: str, data: TariffIn) -> Response:
    """Add a tariff (cpa, cpc, cpm, revshare or other) to a campaign."""
    _campaign_or_404(campaign_id)
    tariff = await _write(_tracker().catalog_service.add_tariff, campaign_id, **_fields(data))
    return json_response(present.tariff(tariff), 201)


@api.patch("/campaigns/<campaign_id>/tariffs/<tariff_id>")
@requires("write")
@validate_body(TariffPatch)
@document_response(TariffOut)
async def end_tariff(campaign_id: str, tariff_id: str, data: TariffPatch) -> Response:
    """End a tariff: ``ends_on`` is the last day (inclusive) it applies. Rates never change;
    to change a rate, end the tariff and add a new one."""
    tariff = await _write(
        _tracker().catalog_service.end_tariff, campaign_id, tariff_id, ends_on=data.ends_on
    )
    return json_response(present.tariff(tariff))


@api.get("/campaigns/<campaign_id>/tariffs")
@requires("read")
@document_response(TariffsOut)
async def list_tariffs(campaign_id: str) -> Response:
    """A campaign's tariffs."""
    campaign = _campaign_or_404(campaign_id)
    return json_response({"tariffs": [present.tariff(t) for t in campaign.tariffs]})


# links


def _link_json(code: str) -> dict[str, Any]:
    tracker = _tracker()
    link = tracker.catalog.link(code)
    if link is None:
        raise NotFound("code", f"no such link: {code}")
    campaign = _campaign_or_404(link.campaign_id)
    macros = None
    if campaign.partner_id:
        if campaign.partner_id in tracker.partners:
            macros = tracker.partners[campaign.partner_id].macros
        elif (partner := tracker.catalog.partner(campaign.partner_id)) is not None:
            macros = partner.macros
    return present.link(link, tracker.settings.base_url, macros)


@api.post("/campaigns/<campaign_id>/links")
@requires("write")
@validate_body(LinkIn)
@document_response(LinkOut, 201)
async def create_link(campaign_id: str, data: LinkIn) -> Response:
    """Create a regular or smart tracking link; its attribution settings are frozen."""
    _campaign_or_404(campaign_id)
    fields = _fields(data, "attribution", "targets")
    fields["targets"] = (
        {k: v for k, v in msgspec.structs.asdict(data.targets).items() if v}
        if data.targets
        else None
    )
    fields["attribution"] = data.attribution.changes() if data.attribution else None
    link = await _write(_tracker().catalog_service.create_link, campaign_id, **fields)
    return json_response(_link_json(link.code), 201)


@api.get("/campaigns/<campaign_id>/links")
@requires("read")
@document_response(LinksOut)
async def list_links(campaign_id: str) -> Response:
    """A campaign's tracking links."""
    _campaign_or_404(campaign_id)
    codes = [lk.code for lk in _tracker().catalog.links() if lk.campaign_id == campaign_id]
    return json_response({"links": [_link_json(code) for code in codes]})


@api.get("/links/<code>")
@requires("read")
@document_response(LinkOut)
async def get_link(code: str) -> Response:
    """One tracking link by its code."""
    return json_response(_link_json(code))


@api.patch("/links/<code>")
@requires("write")
@validate_body(LinkPatch)
@document_response(LinkOut)
async def update_link(code: str, data: LinkPatch) -> Response:
    """Change a link's title, status, target URL or deep link."""
    _link_json(code)
    await _write(_tracker().catalog_service.update_link, code, **_fields(data))
    return json_response(_link_json(code))


# corrections


@api.post("/campaigns/<campaign_id>/corrections")
@requires("write")
@validate_body(CorrectionIn)
@document_response(CorrectionOut, 201)
async def create_correction(campaign_id: str, data: CorrectionIn) -> Response:
    """Add a cost correction for one app of a campaign."""
    _campaign_or_404(campaign_id)
    correction = await _write(
        _tracker().catalog_service.create_correction, campaign_id, **_fields(data)
    )
    return json_response(present.correction(correction), 201)


@api.get("/campaigns/<campaign_id>/corrections")
@requires("read")
@validate_querystring(CorrectionsQuery)
@document_response(CorrectionsOut)
async def list_corrections(campaign_id: str, query_args: CorrectionsQuery) -> Response:
    """A campaign's corrections (deleted ones with include_deleted=true)."""
    _campaign_or_404(campaign_id)
    items = [
        present.correction(c)
        for c in _tracker().catalog.corrections()
        if c.campaign_id == campaign_id and (query_args.include_deleted or not c.deleted)
    ]
    return json_response({"corrections": items})


@api.delete("/corrections/<correction_id>")
@requires("write")
@answers(204, "Deleted; no body.")
async def delete_correction(correction_id: str) -> Response:
    """Delete a correction (the history keeps it)."""
    await _write(_tracker().catalog_service.delete_correction, correction_id)
    return Response(b"", status=204)


# postbacks


def _with_generated_secret(
    answer: dict[str, Any], postback: Postback, generated: bool
) -> dict[str, Any]:
    # The one answer that shows a secret: the tracker made it, so the caller cannot know it.
    if generated:
        answer["secret"] = postback.secret
    return answer


@api.post("/postbacks")
@requires("write")
@validate_body(PostbackIn)
@document_response(PostbackOut, 201)
async def create_postback(data: PostbackIn) -> Response:
    """Configure a postback.

    With a ``secret`` (16 to 256 characters) its requests are signed; ``generate_secret``
    makes one, shown in this answer only. No other answer shows a secret."""
    postback = await _write(
        _tracker().catalog_service.configure_postback,
        secret=data.secret,
        generate_secret=data.generate_secret,
        **_fields(data, "secret", "generate_secret"),
    )
    answer = present.postback(postback)
    return json_response(_with_generated_secret(answer, postback, data.generate_secret), 201)


@api.get("/postbacks")
@requires("read")
@document_response(PostbacksOut)
async def list_postbacks() -> Response:
    """Postback configurations."""
    _not_for_partners()
    items = [present.postback(p) for p in _tracker().catalog.postbacks() if not p.deleted]
    return json_response({"postbacks": items})


def _postback_or_404(postback_id: str) -> Any:
    postback = _tracker().catalog.postback(postback_id)
    if postback is None or postback.deleted:
        raise NotFound("postback_id", f"no such postback: {postback_id}")
    return postback


@api.get("/postbacks/<postback_id>")
@requires("read")
@document_response(PostbackOut)
async def get_postback(postback_id: str) -> Response:
    """One postback configuration."""
    _not_for_partners()
    return json_response(present.postback(_postback_or_404(postback_id)))


@api.patch("/postbacks/<postback_id>")
@requires("write")
@validate_body(PostbackPatch)
@document_response(PostbackOut)
async def update_postback(postback_id: str, data: PostbackPatch) -> Response:
    """Change a postback's title, URL, mode, body or secret.

    ``secret`` replaces the secret, null removes it; ``generate_secret`` makes a new one,
    shown in this answer only."""
    _postback_or_404(postback_id)
    secret = None if data.secret is msgspec.UNSET else data.secret
    postback = await _write(
        _tracker().catalog_service.update_postback,
        postback_id,
        secret=secret,
        generate_secret=data.generate_secret,
        remove_secret=data.secret is None,
        **_fields(data, "secret", "generate_secret"),
    )
    answer = present.postback(_postback_or_404(postback_id))
    return json_response(_with_generated_secret(answer, postback, data.generate_secret))


@api.delete("/postbacks/<postback_id>")
@requires("write")
@answers(204, "Deleted; no body.")
async def delete_postback(postback_id: str) -> Response:
    """Delete a postback configuration."""
    _postback_or_404(postback_id)
    await _write(_tracker().catalog_service.delete_postback, postback_id)
    return Response(b"", status=204)


# tokens


@api.post("/tokens")
@requires("write")
@validate_body(TokenIn)
@document_response(TokenCreatedOut, 201)
async def create_token(data: TokenIn) -> Response:
    """Issue an API token; it is shown once and stored hashed."""
    token = await _write(
        _tracker().catalog_service.issue_token,
        role=data.role,
        partner_id=data.partner_id if data.role == "partner" else None,
        label=data.label,
    )
    partner_id = data.partner_id if data.role == "partner" else None
    return json_response(
        {
            "id": str(ApiToken.create_id(hash_token(token))),
            "token": token,
            "role": data.role,
            "partner_id": partner_id,
            "label": data.label,
        },
        201,
    )


@api.get("/tokens")
@requires("read")
@document_response(TokensOut)
async def list_tokens() -> Response:
    """Every token issued, revoked ones included (admin only); never the token itself."""
    if current_principal().role != "admin":
        raise Forbidden("Authorization", "only an admin token lists tokens")
    return json_response({"tokens": [present.token(t) for t in _tracker().catalog.tokens()]})


@api.delete("/tokens/<token_id>")
@requires("write")
@answers(204, "Revoked (or already revoked); no body.")
async def revoke_token(token_id: str) -> Response:
    """Revoke a token: from now on it answers 401. Revoking it again changes nothing."""
    await _write(_tracker().catalog_service.revoke_token, token_id)
    return Response(b"", status=204)


# event history for auditors


@api.get("/events")
@requires("read")
@validate_querystring(EventsQuery)
@document_response(EventsPageOut)
async def list_events(query_args: EventsQuery) -> Response:
    """The event history of one stream, in order, with positions, paged."""
    _not_for_partners()
    if current_principal().role not in ("admin", "viewer"):
        raise Forbidden("Authorization", "not allowed")
    page = partial(
        _tracker().history.page, query_args.stream, after=query_args.after, limit=query_args.limit
    )
    return json_response(await trio.to_thread.run_sync(page))
