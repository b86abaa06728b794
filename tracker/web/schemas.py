"""Request bodies of the management API, and the answers /openapi.json describes. msgspec checks
shapes; the domain checks rules."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType
from quart import request
from quart_schema import DataSource, RequestSchemaValidationError
from quart_schema.validation import QUART_SCHEMA_REQUEST_ATTRIBUTE

from tracker.domain.catalog.vocabulary import (
    CampaignStatus,
    CampaignType,
    CpaTarget,
    LinkStatus,
    Platform,
    PostbackEvent,
    PostbackMethod,
    PostbackMode,
    SendingMode,
    TariffModel,
    TokenRole,
)
from tracker.domain.errors import DomainError
from tracker.domain.rules import DAY_PATTERN, EARLIEST_DAY, LATEST_DAY, MAX_AMOUNT_DIGITS
from tracker.schema_rules import given, strings, when
from tracker.web.openapi import ref


def validate_body(model: Any, *, decode_as: Any = None) -> Callable:
    """quart-schema's ``validate_request`` (and described the same way in /openapi.json), but
    strict: msgspec decodes the raw body, so ``"24"`` is not an int and ``1`` not a string,
    whatever the Content-Type says. ``decode_as`` decodes into another type than the
    documented ``model`` (a JSON object of free names, which the domain checks one by one)."""
    target = model if decode_as is None else decode_as
    decoder = msgspec.json.Decoder(target)

    def decorator(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        setattr(handler, QUART_SCHEMA_REQUEST_ATTRIBUTE, (model, DataSource.JSON))

        @wraps(handler)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            body = await request.get_data()
            if not body.strip():
                raise DomainError("body", "a JSON object is required")
            try:
                data = decoder.decode(body)
            except msgspec.ValidationError as e:
                data = _with_integral_floats(body, target, e)
            except msgspec.DecodeError:
                raise DomainError("body", "not valid JSON") from None
            return await handler(*args, data=data, **kwargs)

        return wrapper

    return decorator


def _exact_number(text: str) -> int | Decimal:
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else number


_ANY_EXACT = msgspec.json.Decoder(float_hook=_exact_number)


def _with_integral_floats(body: bytes, target: Any, error: msgspec.ValidationError) -> Any:
    """JSON Schema counts ``24.0`` as an integer, and so do clients that write every number
    with a point; msgspec does not. Decoded again with exact numbers, ``24.0`` is 24 and
    ``24.5`` still not an int. Any other refusal is refused again, and answered with the
    first pass's message."""
    try:
        return msgspec.convert(_ANY_EXACT.decode(body), target)
    except (msgspec.ValidationError, msgspec.DecodeError):
        raise RequestSchemaValidationError(error) from None


Title = Annotated[str, Meta(min_length=1, max_length=200)]
# Part of what ``check_url`` accepts, so a URL the schema passes is refused only for a host
# longer than 253 characters: http(s), an optional user, an IPv4 address or a host name
# (labels of letters, digits, - and _, 1 to 63 each, the last starting with a letter, - or _;
# the rule asks only that it is not all digits), a port from 1 to 65535. No lookaheads but
# the end (Python's ``$`` also matches before a final newline): schemathesis generates from
# these patterns, and lookaheads make that minutes slower.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_LABEL = r"[A-Za-z0-9_-]{1,63}"
_LAST_LABEL = r"[A-Za-z_-][A-Za-z0-9_-]{0,62}"
_HOST_NAME = rf"(?:{_LABEL}\.)*{_LAST_LABEL}\.?"
_PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://(?:[!\"$-.0-9:->A-Z\\^-~]*@)?"
    rf"(?:(?:{_OCTET}\.){{3}}{_OCTET}|{_HOST_NAME})(?::{_PORT}?)?"
    r"(?:[/?#][^\n]*)?(?![\s\S])"
)
Url = Annotated[str, Meta(min_length=1, max_length=4096, pattern=URL_PATTERN)]
# A postback's URL template: the same shape with macros (``{name}``) anywhere, even in the
# host (``{partner_host}``), each counting as one letter there, as the domain checks it with
# every macro filled by ``x``. (The 253-character limit on the whole host is the domain's
# alone.)
_MACRO = r"\{[A-Za-z0-9_]+\}"
_T_CHAR = rf"(?:[A-Za-z0-9_-]|{_MACRO})"
_T_HOST = rf"(?:{_T_CHAR}{{1,63}}\.)*(?:[A-Za-z_-]|{_MACRO}){_T_CHAR}{{0,62}}\.?"
TEMPLATE_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://(?:[!\"$-.0-9:->A-Z\\^-~]*@)?"
    rf"(?:(?:{_OCTET}\.){{3}}{_OCTET}|{_T_HOST})(?::{_PORT}?)?"
    r"(?:[/?#][^\n]*)?(?![\s\S])"
)
TemplateUrl = Annotated[str, Meta(min_length=1, max_length=4096, pattern=TEMPLATE_URL_PATTERN)]
# An empty string takes the URL away.
UrlOrEmpty = Annotated[str, Meta(max_length=4096, pattern=f"^(?![\\s\\S])|{URL_PATTERN}")]
UtmSources = Annotated[list[Annotated[str, Meta(min_length=1, max_length=200)]], Meta(min_length=1)]
Money = Annotated[str, Meta(pattern=rf"^-?0*\d{{1,{MAX_AMOUNT_DIGITS}}}(\.\d+)?$", max_length=40)]
# A percent from 0 to 100 (a revshare tariff).
PERCENT_PATTERN = r"^0*(?:100(?:\.0+)?|\d{1,2}(?:\.\d+)?)$"
# A day between EARLIEST_DAY and LATEST_DAY.
Day = Annotated[
    date,
    Meta(
        description=f"a day from {EARLIEST_DAY} to {LATEST_DAY}",
        extra_json_schema={"pattern": DAY_PATTERN},
    ),
]
Currency = Annotated[
    str,
    Meta(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217, upper case",
        extra_json_schema={"$ref": ref("Currency")},
    ),
]
TimeZone = Annotated[
    str, Meta(min_length=1, max_length=64, extra_json_schema={"$ref": ref("TimeZone")})
]
EventSeq = Annotated[int, Meta(ge=0, le=2**62)]
# A date (``to`` takes its whole day) or an RFC 3339 time with its offset.
Bound = Annotated[
    str,
    Meta(
        max_length=40,
        extra_json_schema={"anyOf": [{"format": "date"}, {"format": "date-time"}]},
    ),
]
Secret = Annotated[str, Meta(min_length=16, max_length=256)]


class AttributionIn(Struct, forbid_unknown_fields=True, omit_defaults=True):
    click_window_hours: Annotated[int, Meta(ge=1, le=720)] | None = None
    view_window_hours: Annotated[int, Meta(ge=1, le=168)] | None = None
    fingerprint_window_hours: Annotated[int, Meta(ge=1, le=24)] | None = None
    inactivity_window_days: Annotated[int, Meta(ge=1, le=365)] | None = None
    reattribute_to_organic: bool | None = None

    def changes(self) -> dict:
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None}


class AppIn(Struct, forbid_unknown_fields=True):
    title: Title
    platform: Platform
    store_url: Url | None = None
    bundle_id: Annotated[str, Meta(max_length=255)] | None = None
    attribution: AttributionIn | None = None


class AppPatch(Struct, forbid_unknown_fields=True):
    title: Title | None = None
    store_url: Url | None = None
    bundle_id: Annotated[str, Meta(max_length=255)] | None = None
    attribution: AttributionIn | None = None
    redirect_url: UrlOrEmpty | None = None


class PartnerIn(Struct, forbid_unknown_fields=True):
    title: Title
    utm_sources: UtmSources
    macros: dict[str, str] = {}
    params: dict[str, str] = {}


class PartnerPatch(Struct, forbid_unknown_fields=True):
    title: Title | None = None
    utm_sources: UtmSources | None = None
    macros: dict[str, str] | None = None
    params: dict[str, str] | None = None


class TrafficTypeIn(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_]{1,64}$")]
    title: Title | None = None


class CampaignIn(Struct, forbid_unknown_fields=True):
    title: Title
    traffic_type: Annotated[str, Meta(min_length=1, max_length=64)]
    campaign_type: CampaignType = "regular"
    partner_id: str | None = None


class CampaignPatch(Struct, forbid_unknown_fields=True):
    title: Title | None = None
    traffic_type: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    partner_id: str | None = None
    status: CampaignStatus | None = None


class Targets(Struct, forbid_unknown_fields=True):
    fallback: Url
    android: Url | None = None
    ios: Url | None = None
    web: Url | None = None


class LinkIn(Struct, forbid_unknown_fields=True):
    title: Title
    app_id: str | None = None
    target_url: Url | None = None
    targets: Targets | None = None
    deep_link: Annotated[str, Meta(max_length=4096)] | None = None
    deferred_deep_link: bool = True
    attribution: AttributionIn | None = None


class LinkPatch(Struct, forbid_unknown_fields=True):
    title: Title | None = None
    status: LinkStatus | None = None
    target_url: Url | None = None
    deep_link: Annotated[str, Meta(max_length=4096)] | None = None


class TariffIn(Struct, forbid_unknown_fields=True):
    """A CPA tariff names its target and rate (a custom_event target its event_name), a CPC
    or CPM tariff its rate, a revshare tariff its percent (at most 100)."""

    json_schema_rules: ClassVar[dict[str, Any]] = {
        "allOf": [
            when({"model": "cpa"}, strings("target", "rate")),
            when({"model": ["cpc", "cpm"]}, strings("rate")),
            when({"model": "revshare"}, given("percent", "string", pattern=PERCENT_PATTERN)),
            when({"model": "cpa", "target": "custom_event"}, strings("event_name")),
        ]
    }

    model: TariffModel
    currency: Currency
    starts_on: Day
    ends_on: Day | None = None
    target: CpaTarget | None = None
    event_name: Annotated[str, Meta(min_length=1, max_length=255)] | None = None
    rate: Money | None = None
    percent: Money | None = None


class TariffPatch(Struct, forbid_unknown_fields=True):
    ends_on: Day


class CorrectionIn(Struct, forbid_unknown_fields=True):
    app_id: str
    amount: Money
    currency: Currency
    starts_on: Day
    ends_on: Day
    timezone: TimeZone = "UTC"
    description: Annotated[str, Meta(max_length=1000)] = ""


class CorrectionsQuery(Struct):
    include_deleted: bool = False


class PostbackIn(Struct, forbid_unknown_fields=True):
    title: Title
    event: PostbackEvent
    url: TemplateUrl
    mode: PostbackMode = "attributed"
    method: PostbackMethod = "GET"
    body: Annotated[str, Meta(max_length=65536)] | None = None
    event_name: Annotated[str, Meta(min_length=1, max_length=255)] | None = None
    partner_id: str | None = None
    campaign_id: str | None = None
    app_id: str | None = None
    secret: Secret | None = None
    generate_secret: bool = False


class PostbackPatch(Struct, forbid_unknown_fields=True):
    title: Title | None = None
    url: TemplateUrl | None = None
    mode: PostbackMode | None = None
    body: Annotated[str, Meta(max_length=65536)] | None = None
    # Absent: unchanged; null: removed; a string: replaced.
    secret: Secret | UnsetType | None = UNSET
    generate_secret: bool = False


class PostbackOut(Struct):
    """A postback configuration. ``signed`` says whether it has a secret; ``secret`` is in
    the answer that generated it (``generate_secret``) and nowhere else, ever."""

    id: str
    title: str
    event: PostbackEvent
    event_name: str | None
    partner_id: str | None
    campaign_id: str | None
    app_id: str | None
    mode: PostbackMode
    method: PostbackMethod
    url: str
    body: str | None
    signed: bool
    created_at: Annotated[datetime, Meta(tz=True)]
    secret: str | UnsetType = UNSET


class PartnerSettingsIn(Struct):
    """Setting name -> value (a string of 1 to 1024 characters), or null to remove it. An
    integrated partner takes the names its plugin declares; a custom partner any name of a
    lower-case letter then up to 63 lower-case letters, digits or underscores."""


class PartnerSettingsOut(Struct):
    """The names of the settings the app has for this partner, each ``"set"``: values are
    never shown."""

    app_id: str
    settings: dict[str, Literal["set"]]


class SendingIn(Struct, forbid_unknown_fields=True, omit_defaults=True):
    install: SendingMode | None = None
    reinstall: SendingMode | None = None
    reengagement: SendingMode | None = None
    registration: SendingMode | None = None
    login: SendingMode | None = None
    purchase: SendingMode | None = None
    first_payment: SendingMode | None = None
    custom: SendingMode | None = None

    def modes(self) -> dict[str, str]:
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None}


class _TokenIn(Struct, forbid_unknown_fields=True, kw_only=True, tag_field="role"):
    label: Annotated[str, Meta(max_length=200)] = ""

    @property
    def role(self) -> TokenRole:
        return self.__struct_config__.tag  # type: ignore[return-value]


class AdminTokenIn(_TokenIn, tag="admin"):
    partner_id: str | None = None  # accepted and ignored: an admin sees every partner


class ViewerTokenIn(_TokenIn, tag="viewer"):
    partner_id: str | None = None  # accepted and ignored: a viewer sees every partner


class PartnerTokenIn(_TokenIn, tag="partner"):
    partner_id: Annotated[str, Meta(min_length=1)]


# A partner token names its partner; an admin or viewer token may name one, which is ignored.
TokenIn = AdminTokenIn | ViewerTokenIn | PartnerTokenIn


class EventsQuery(Struct):
    stream: Literal["catalog", "ingest", "attribution"] = "catalog"
    after: EventSeq = 0
    limit: Annotated[int, Meta(ge=1, le=10000)] = 1000


class RawQuery(Struct):
    """Filters of every raw export route (docs/ingest.md "Raw export"): those of the reports."""

    format: Literal["jsonl", "csv"] = "jsonl"
    from_: Bound | None = msgspec.field(default=None, name="from")
    to: Bound | None = None
    app_id: str | None = None
    campaign_id: str | None = None
    partner_id: str | None = None
    link_code: str | None = None
