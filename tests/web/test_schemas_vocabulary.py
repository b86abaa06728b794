"""Request schemas take their closed lists from the catalog's vocabulary, the one place each
list is written, and describe them as such in /openapi.json."""

from __future__ import annotations

from typing import Any, get_args

import msgspec
import pytest
import trio

from tracker.domain.catalog import vocabulary as v
from tracker.web import schemas

# (request schema, field, the domain's tuple, the Literal type it comes from)
FIELDS = [
    (schemas.AppIn, "platform", v.PLATFORMS, v.Platform),
    (schemas.CampaignIn, "campaign_type", v.CAMPAIGN_TYPES, v.CampaignType),
    (schemas.CampaignPatch, "status", v.CAMPAIGN_STATUSES, v.CampaignStatus),
    (schemas.LinkPatch, "status", v.LINK_STATUSES, v.LinkStatus),
    (schemas.TariffIn, "model", v.TARIFF_MODELS, v.TariffModel),
    (schemas.TariffIn, "target", v.CPA_TARGETS, v.CpaTarget),
    (schemas.PostbackIn, "event", v.POSTBACK_EVENTS, v.PostbackEvent),
    (schemas.PostbackIn, "mode", v.POSTBACK_MODES, v.PostbackMode),
    (schemas.PostbackPatch, "mode", v.POSTBACK_MODES, v.PostbackMode),
    (schemas.PostbackIn, "method", v.POSTBACK_METHODS, v.PostbackMethod),
    (schemas.SendingIn, "install", v.SENDING_MODES, v.SendingMode),
]

# Where /openapi.json describes each of those request bodies.
BODIES = {
    schemas.AppIn: ("/api/v1/apps", "post"),
    schemas.CampaignIn: ("/api/v1/campaigns", "post"),
    schemas.CampaignPatch: ("/api/v1/campaigns/{campaign_id}", "patch"),
    schemas.LinkPatch: ("/api/v1/links/{code}", "patch"),
    schemas.TariffIn: ("/api/v1/campaigns/{campaign_id}/tariffs", "post"),
    schemas.PostbackIn: ("/api/v1/postbacks", "post"),
    schemas.PostbackPatch: ("/api/v1/postbacks/{postback_id}", "patch"),
    schemas.SendingIn: ("/api/v1/partners/{partner_id}/sending/{app_id}", "put"),
}


def _literal_values(struct: type, field: str) -> list[str]:
    """What msgspec accepts for the field (sorted: msgspec keeps literals sorted)."""
    info = msgspec.inspect.type_info(struct)
    kind = next(f.type for f in info.fields if f.name == field)
    options = kind.types if isinstance(kind, msgspec.inspect.UnionType) else (kind,)
    return next(list(o.values) for o in options if isinstance(o, msgspec.inspect.LiteralType))


def test_each_tuple_holds_its_literal_values_in_order() -> None:
    for _, _, values, literal in FIELDS:
        assert values == get_args(literal)
        assert all(isinstance(value, str) for value in values)


@pytest.mark.parametrize(
    ("struct", "field", "values"),
    [f[:3] for f in FIELDS],
    ids=[f"{f[0].__name__}.{f[1]}" for f in FIELDS],
)
def test_request_schemas_accept_the_domains_values(
    struct: type, field: str, values: tuple[str, ...]
) -> None:
    assert _literal_values(struct, field) == sorted(values)


def test_sending_modes_are_set_per_postback_event() -> None:
    fields = msgspec.structs.fields(schemas.SendingIn)
    assert tuple(f.name for f in fields) == v.POSTBACK_EVENTS
    for f in fields:
        assert _literal_values(schemas.SendingIn, f.name) == sorted(v.SENDING_MODES)


def test_token_bodies_are_one_per_role() -> None:
    tags = [member.__struct_config__.tag for member in get_args(schemas.TokenIn)]
    assert tags == list(v.TOKEN_ROLES) == list(get_args(v.TokenRole))


def test_smart_link_targets_are_the_platforms_and_a_fallback() -> None:
    names = {f.name for f in msgspec.structs.fields(schemas.Targets)}
    assert names == {*v.PLATFORMS, "fallback"}


@pytest.mark.usefixtures("store")
async def test_openapi_enums_are_the_vocabulary(client: Any) -> None:
    with trio.fail_after(10):
        spec = await (await client.get("/openapi.json")).get_json()
    for struct, field, values, _ in FIELDS:
        path, method = BODIES[struct]
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        described = body["schema"]["properties"][field]
        options = described.get("anyOf", [described])
        enum = next(o["enum"] for o in options if "enum" in o)
        assert sorted(enum) == sorted(values), (struct.__name__, field)
    token = spec["paths"]["/api/v1/tokens"]["post"]["requestBody"]["content"]["application/json"]
    assert sorted(token["schema"]["discriminator"]["mapping"]) == sorted(v.TOKEN_ROLES)
