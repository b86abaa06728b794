"""The success answers /openapi.json describes, one struct per shape the handlers send.

Documentation only: handlers build plain dicts (``tracker.web.present``) and these structs say
what those dicts are, so a field here is exactly what the server sends. Money is a decimal
string, ids are strings, times are RFC 3339 with a ``Z``. A field that only some answers carry
is ``UNSET`` by default (not required); none forbids unknown fields, so new fields can be added.
Names end in ``Out``: components share one namespace with the request structs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType, defstruct

from tracker.domain.attribution import Bucket, DecisionType, Method, PassedOver
from tracker.domain.catalog.settings import AttributionSettings
from tracker.domain.catalog.vocabulary import (
    POSTBACK_EVENTS,
    CampaignStatus,
    CampaignType,
    CpaTarget,
    LinkStatus,
    Platform,
    SendingMode,
    TariffModel,
    TokenRole,
)
from tracker.ingest.sdk import AttributionOut
from tracker.plugin_types import Verdict
from tracker.web.schemas import PostbackOut

MoneyOut = Annotated[str, Meta(description="a decimal number as a string", examples=["12.50"])]
# Always timezone-aware (UTC, ``Z``); ``tz=True`` makes msgspec say ``format: date-time``.
Timestamp = Annotated[datetime, Meta(tz=True)]

# apps


# The domain's settings, every one always sent.
AttributionSettingsOut = defstruct(
    "AttributionSettingsOut",
    [(f.name, f.type) for f in msgspec.structs.fields(AttributionSettings)],
    namespace={
        "__doc__": "Attribution windows (an app's defaults, frozen onto each link when it is "
        "created)."
    },
)


class AppOut(Struct):
    """An app, with its SDK key and default attribution settings."""

    id: str
    title: str
    platform: Platform
    store_url: str | None
    bundle_id: str | None
    sdk_key: str
    attribution: AttributionSettingsOut
    redirect_url: str | None
    created_at: Timestamp
    updated_at: Timestamp


class AppsOut(Struct):
    """Every app."""

    apps: list[AppOut]


# partners


SendingOut = defstruct(
    "SendingOut",
    [(event, SendingMode | UnsetType, UNSET) for event in POSTBACK_EVENTS],
    namespace={
        "__doc__": "Postback sending modes of one app, by event type; an event not named is "
        "not set."
    },
)


class PartnerOut(Struct):
    """A partner: custom (with ``created_at``), or integrated or system (from a plugin)."""

    id: str
    title: str
    kind: Annotated[
        str,
        Meta(
            description="``custom``; ``integrated`` or ``system`` for a plugin's partner",
            examples=["custom", "integrated", "system"],
        ),
    ]
    utm_sources: list[str]
    macros: dict[str, str]
    params: dict[str, str]
    sending: Annotated[dict[str, SendingOut], Meta(description="app id -> sending modes")]
    settings: Annotated[
        dict[str, list[str]], Meta(description="app id -> names of the settings it has set")
    ]
    created_at: Timestamp | UnsetType = UNSET


class PartnersOut(Struct):
    """Integrated (from plugins), system and custom partners."""

    partners: list[PartnerOut]


# traffic types


class TrafficTypeOut(Struct):
    """A traffic type: a standard one, or one a user added."""

    name: str
    title: str
    standard: bool
    archived: bool


class TrafficTypesOut(Struct):
    """Standard and user-added traffic types."""

    traffic_types: list[TrafficTypeOut]


# campaigns and tariffs


class TariffOut(Struct):
    """A tariff: ``rate`` for cpa/cpc/cpm, ``percent`` for revshare, money as strings."""

    id: str
    model: TariffModel
    currency: str
    starts_on: date
    ends_on: date | None
    target: CpaTarget | None
    event_name: str | None
    rate: MoneyOut | None
    percent: MoneyOut | None


class TariffsOut(Struct):
    """A campaign's tariffs."""

    tariffs: list[TariffOut]


class CampaignOut(Struct):
    """A campaign with its tariffs."""

    id: str
    title: str
    campaign_type: CampaignType
    traffic_type: str
    partner_id: str | None
    status: CampaignStatus
    tariffs: list[TariffOut]
    created_at: Timestamp
    updated_at: Timestamp


class CampaignsOut(Struct):
    """Campaigns (a partner token sees only its partner's)."""

    campaigns: list[CampaignOut]


# links


class LinkTargetsOut(Struct):
    """A smart link's target URL per platform, and its fallback."""

    fallback: str
    android: str | UnsetType = UNSET
    ios: str | UnsetType = UNSET
    web: str | UnsetType = UNSET


class LinkOut(Struct):
    """A tracking link; ``*_template`` URLs when its campaign's partner has macros."""

    code: str
    campaign_id: str
    title: str
    kind: Literal["regular", "smart"]
    app_id: str | None
    target_url: str | None
    targets: LinkTargetsOut | None
    deep_link: str | None
    deferred_deep_link: bool
    attribution: AttributionSettingsOut
    status: LinkStatus
    click_url: str
    impression_url: str
    created_at: Timestamp
    click_url_template: str | UnsetType = UNSET
    impression_url_template: str | UnsetType = UNSET


class LinksOut(Struct):
    """A campaign's tracking links."""

    links: list[LinkOut]


# corrections


class CorrectionOut(Struct):
    """A cost correction of one app of a campaign over a range of days."""

    id: str
    campaign_id: str
    app_id: str
    amount: MoneyOut
    currency: str
    starts_on: date
    ends_on: date
    timezone: str
    description: str
    deleted: bool
    created_at: Timestamp


class CorrectionsOut(Struct):
    """A campaign's corrections."""

    corrections: list[CorrectionOut]


# postbacks


class PostbacksOut(Struct):
    """Postback configurations (never their secrets)."""

    postbacks: list[PostbackOut]


class PostbackTestRequestOut(Struct):
    """The request the test sent."""

    method: Literal["GET", "POST"]
    url: str
    body: str | None


class PostbackTestResponseOut(Struct):
    """What the receiver answered: ``status`` null when no answer came (refused, timeout)."""

    status: int | None
    body: str


class PostbackTestOutcomeOut(Struct):
    """How the answer is judged."""

    verdict: Verdict
    reason: str


class PostbackTestOut(Struct):
    """The test-send of a postback: the request sent, the answer and its verdict."""

    request: PostbackTestRequestOut
    response: PostbackTestResponseOut
    outcome: PostbackTestOutcomeOut


class DeliveryAttemptOut(Struct):
    """One delivery attempt of a postback."""

    seq: int
    delivery_id: str
    attempt: int
    at: Timestamp
    receiver: str
    partner_id: str | None
    postback_config_id: str | None
    app_id: str
    event_type: str
    postback_id: str
    method: str
    url: str
    status: int | None
    verdict: Verdict
    reason: str
    response: str
    next_due_at: Timestamp | None


class DeliveriesOut(Struct):
    """Delivery attempts, oldest first; ``next``: the next page's ``after`` (null: no more)."""

    deliveries: list[DeliveryAttemptOut]
    next: int | None


# tokens


class TokenCreatedOut(Struct):
    """A new API token: ``token`` is shown in this answer only."""

    id: str
    token: str
    role: TokenRole
    partner_id: str | None
    label: str


class TokenOut(Struct):
    """An API token's record (never the token itself)."""

    id: str
    role: TokenRole
    partner_id: str | None
    label: str
    revoked: bool
    created_at: Timestamp
    updated_at: Timestamp


class TokensOut(Struct):
    """Every token issued, revoked ones included."""

    tokens: list[TokenOut]


# event history


class HistoryEventOut(Struct):
    """One stored event; secret fields of ``data`` show as ``<hidden>``."""

    position: int
    type: str
    topic: str
    aggregate_id: str
    version: int
    ts: Timestamp
    data: dict[str, Any]


class EventsPageOut(Struct):
    """A page of one stream's events; ``next``: the next page's ``after`` (null: no more)."""

    stream: Literal["catalog", "ingest", "attribution"]
    events: list[HistoryEventOut]
    next: int | None


# attribution


class SdkAttributionOut(Struct):
    """A device's current attribution and deferred deep link."""

    install_id: str | None
    device_id: str
    installed_at: Timestamp
    attribution: AttributionOut
    deep_link: str | None


class AttributionWindowsOut(Struct):
    """The windows of the winning touchpoint's link."""

    click_window_hours: int
    view_window_hours: int
    fingerprint_window_hours: int


# The domain's record, every field always sent.
PassedOverOut = defstruct(
    "PassedOverOut",
    [
        (f.name, Timestamp | None if f.name == "ts" else f.type)
        for f in msgspec.structs.fields(PassedOver)
    ],
    namespace={"__doc__": "A candidate touchpoint the decision passed over, and why."},
)


class InstallExplanationOut(Struct):
    """Why an install is attributed as it is, with a one-sentence ``summary``."""

    decision_id: str
    type: DecisionType
    ts: Timestamp
    install_id: str | None
    device_id: str
    app_id: str
    instance_id: str | None
    attribution: Bucket
    method: Method
    reattributed: bool
    campaign_id: str | None
    link_code: str | None
    partner_id: str | None
    click_id: str | None
    touchpoint_id: str | None
    touchpoint_kind: Literal["click", "impression", "preinstall"] | None
    touchpoint_ts: Timestamp | None
    matched_by: str | None
    windows: AttributionWindowsOut | None
    ctit_seconds: float | None
    flags: list[str]
    since: Timestamp | None
    inactive_seconds: float | None
    inactivity_window_days: int | None
    passed_over: list[PassedOverOut]
    deep_link: str | None
    summary: str


# reports

ReportRow = Annotated[
    dict[str, str | int | None],
    Meta(
        description="dimension columns (strings) then the metrics asked for: counts as "
        "integers, money and ratios as decimal strings (a ratio of nothing is null)"
    ),
]


class ReportOut(Struct):
    """A report: one row per combination of the dimensions, and the totals."""

    rows: list[ReportRow]
    totals: ReportRow


# clicks and impressions


class ClickOut(Struct):
    """The click recorded (``mt_no_redirect=1``): its id and where it would redirect."""

    click_id: str
    location: str


class ImpressionOut(Struct):
    """The impression recorded (``mt_no_redirect=1``): its id."""

    impression_id: str


# health


class HealthOut(Struct, omit_defaults=True):
    """The process serves; ``degraded``: some of its actors failed lately and are being
    restarted (actor -> its last error)."""

    status: Literal["ok", "degraded"]
    failing: dict[str, str] = {}


# answers that are not JSON, for ``tracker.web.openapi.answers``

EXPORT_CONTENT: dict[str, dict[str, Any]] = {
    "application/x-ndjson": {
        "schema": {"type": "string", "description": "one JSON object per line (format=jsonl)"}
    },
    "text/csv": {
        "schema": {"type": "string", "description": "a header line, then one row per line"}
    },
}
CSV_CONTENT: dict[str, dict[str, Any]] = {"text/csv": EXPORT_CONTENT["text/csv"]}
GIF_CONTENT: dict[str, dict[str, Any]] = {
    "image/gif": {"schema": {"type": "string", "format": "binary"}}
}
LOCATION_HEADER: dict[str, dict[str, Any]] = {
    "Location": {"description": "the link's target URL", "schema": {"type": "string"}}
}
