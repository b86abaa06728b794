"""SDK and S2S event batches: request models, the rules msgspec cannot say, the ts rule.

A batch is all or nothing: ``validate_batch`` raises on the first invalid event, naming its
index and field (``events[3].device.gaid: not a UUID``), before anything is stored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta, Struct

from tracker.domain.errors import DomainError
from tracker.domain.ingest import DEVICE_ID_FIELDS, SdkEventReceived, SdkEventType
from tracker.domain.rules import MAX_EVENT_AMOUNT, check_currency, check_no_nul
from tracker.ingest.params import MAX_VALUE_LENGTH, _device_id
from tracker.schema_rules import given, strings, when

SDK_BATCH_MAX = 100
S2S_BATCH_MAX = 20
TS_MAX_AGE = timedelta(days=7)
TS_MAX_SKEW = timedelta(minutes=5)
MAX_EVENT_PARAMS = 64
MAX_REVENUE = MAX_EVENT_AMOUNT  # per event, in its currency

# What /openapi.json says of these fields is what build_events and params._device_id accept;
# the rules themselves are checked there, so that each refusal names its field. A pattern ends
# with a lookahead, not `$`, where a final newline must not pass (Python's `$` matches before
# one).
_END = r"(?![\s\S])"
NO_NUL = {"pattern": r"^[^\u0000]*$"}
UUID_PATTERN = "^[0-9a-fA-F]{8}(?:-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}" + _END
ANDROID_ID_PATTERN = "^[0-9a-fA-F]{8,16}" + _END
OAID_PATTERN = "^[0-9a-fA-F-]{16,64}" + _END
ZEROS_PATTERN = "^[0-]*$"
# digits with an optional fraction, 0 to MAX_REVENUE
REVENUE_PATTERN = r"^0*(?:[0-9]{1,9}(?:\.[0-9]+)?|1000000000(?:\.0+)?)" + _END
CURRENCY_REF = "#/components/schemas/Currency"


def _id(**schema: Any) -> Any:
    return Annotated[str, Meta(min_length=1, max_length=128, extra_json_schema=schema)]


Id = _id(**NO_NUL)
Uuid = _id(pattern=UUID_PATTERN)
AndroidId = _id(pattern=ANDROID_ID_PATTERN)
Oaid = _id(pattern=OAID_PATTERN)


class DeviceIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """At least one id; an advertising id of zeros only (limited ad tracking) is dropped and
    does not count."""

    json_schema_rules: ClassVar[dict[str, Any]] = {
        "anyOf": [
            given("instance_id", "string"),
            given("android_id", "string"),
            *(
                given(field, "string", **{"not": {"pattern": ZEROS_PATTERN}})
                for field in DEVICE_ID_FIELDS
                if field != "android_id"
            ),
        ]
    }

    gaid: Uuid | None = None
    idfa: Uuid | None = None
    idfv: Uuid | None = None
    android_id: AndroidId | None = None
    oaid: Oaid | None = None
    app_set_id: Uuid | None = None
    instance_id: Id | None = None


class EventIn(Struct, kw_only=True, forbid_unknown_fields=True):
    """An install names its device's instance_id, a custom event its name, a purchase its
    revenue; revenue comes with its currency."""

    json_schema_rules: ClassVar[dict[str, Any]] = {
        "required": ["device"],
        "properties": {
            "revenue": {
                "anyOf": [
                    {"type": "string", "pattern": REVENUE_PATTERN},
                    {"type": "number", "minimum": 0, "maximum": int(MAX_REVENUE)},
                    {"type": "null"},
                ],
                "default": None,
            },
        },
        "allOf": [
            when({"type": "install"}, {"properties": {"device": strings("instance_id")}}),
            when({"type": "custom"}, strings("name")),
            when({"type": "purchase"}, given("revenue", "string", "number")),
            {"if": given("revenue", "string", "number"), "then": strings("currency")},
        ],
    }

    event_id: Id
    type: SdkEventType
    ts: Annotated[datetime, Meta(extra_json_schema={"format": "date-time"})] | None = None
    device: DeviceIn = msgspec.field(default_factory=DeviceIn)
    ip: (
        Annotated[
            str,
            Meta(
                max_length=64,
                extra_json_schema={"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
            ),
        ]
        | None
    ) = None
    ua: Annotated[str, Meta(max_length=2048, extra_json_schema=NO_NUL)] | None = None
    referrer: Annotated[str, Meta(max_length=4096, extra_json_schema=NO_NUL)] | None = None
    name: Id | None = None
    # JSON numbers and decimal strings both decode exactly into Decimal (never via float).
    revenue: Decimal | None = None
    currency: (
        Annotated[str, Meta(min_length=3, max_length=3, extra_json_schema={"$ref": CURRENCY_REF})]
        | None
    ) = None
    params: Annotated[
        dict[
            Annotated[str, Meta(max_length=128, extra_json_schema=NO_NUL)],
            Annotated[str, Meta(extra_json_schema={"maxLength": MAX_VALUE_LENGTH, **NO_NUL})],
        ],
        Meta(extra_json_schema={"maxProperties": MAX_EVENT_PARAMS}),
    ] = {}


class SdkBatchIn(Struct, forbid_unknown_fields=True):
    events: Annotated[list[EventIn], Meta(min_length=1, max_length=SDK_BATCH_MAX)]


class S2sBatchIn(Struct, forbid_unknown_fields=True):
    events: Annotated[list[EventIn], Meta(min_length=1, max_length=S2S_BATCH_MAX)]


class S2sQuery(Struct):
    app_id: str


class AttributionOut(Struct, omit_defaults=True):
    type: str
    method: str | None = None
    campaign_id: str | None = None
    link_code: str | None = None
    partner_id: str | None = None
    click_id: str | None = None


class EventResultOut(Struct, omit_defaults=True):
    event_id: str
    status: Literal["accepted", "duplicate"]
    install_id: str | None = None
    attribution: AttributionOut | None = None
    deep_link: str | None = None


class BatchOut(Struct):
    results: list[EventResultOut]


def honoured_ts(ts: datetime | None, received: datetime) -> datetime:
    """The client's time when within the last 7 days (and not ahead of the receive time by
    more than a small clock skew), else the receive time. Naive times are taken as UTC."""
    if ts is None:
        return received
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    try:
        ts = ts.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        return received
    if received - TS_MAX_AGE <= ts <= received + TS_MAX_SKEW:
        return ts
    return received


def _revenue(field: str, amount: Decimal) -> Decimal:
    if not amount.is_finite():
        raise DomainError(field, "must be a finite number")
    if amount < 0:
        raise DomainError(field, "must not be negative")
    if amount > MAX_REVENUE:
        raise DomainError(field, f"must be at most {MAX_REVENUE}")
    return amount


def _refuse_nul(where: str, e: EventIn) -> None:
    """No text of an event may hold NUL (``check_no_nul``)."""
    for name in ("event_id", "name", "ua", "referrer"):
        check_no_nul(f"{where}.{name}", getattr(e, name))
    for name in (*DEVICE_ID_FIELDS, "instance_id"):
        check_no_nul(f"{where}.device.{name}", getattr(e.device, name))
    for name, value in e.params.items():
        check_no_nul(f"{where}.params.{name}", name + value)


def _device(where: str, device: DeviceIn) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in DEVICE_ID_FIELDS:
        value = getattr(device, key)
        if not value:
            continue
        try:
            out[key] = _device_id(key, value)
        except ValueError as e:
            if str(e).startswith("all zeros"):
                continue  # limited ad tracking: the SDK sends zeros, which identify nothing
            raise DomainError(f"{where}.device.{key}", str(e)) from None
    if device.instance_id:
        out["instance_id"] = device.instance_id
    return out


def build_events(
    batch: list[EventIn],
    *,
    app_id: str,
    received: datetime,
    source: str,
    ip: str | None,
    ua: str | None,
    country_of: Callable[[str | None], str | None] = lambda ip: None,
) -> list[SdkEventReceived]:
    """Validate every event and build the domain events; raises DomainError naming
    ``events[i].field`` for the first invalid one."""
    events = []
    for i, e in enumerate(batch):
        where = f"events[{i}]"
        _refuse_nul(where, e)
        device = _device(where, e.device)
        if not device:
            raise DomainError(f"{where}.device", "at least one device id is required")
        if e.type == "install" and "instance_id" not in device:
            raise DomainError(f"{where}.device.instance_id", "required for an install")
        if e.type == "custom" and not e.name:
            raise DomainError(f"{where}.name", "required for a custom event")
        revenue = None
        if e.revenue is not None:
            revenue = _revenue(f"{where}.revenue", e.revenue)
            if e.currency is None:
                raise DomainError(f"{where}.currency", "required with revenue")
        elif e.type == "purchase":
            raise DomainError(f"{where}.revenue", "required for a purchase")
        if e.currency is not None:
            check_currency(f"{where}.currency", e.currency)
        event_ip = e.ip if e.ip is not None else ip
        if e.ip is not None:
            try:
                event_ip = str(ipaddress.ip_address(e.ip))
            except ValueError:
                raise DomainError(f"{where}.ip", f"not an IP address: {e.ip!r}") from None
        if len(e.params) > MAX_EVENT_PARAMS:
            raise DomainError(f"{where}.params", f"more than {MAX_EVENT_PARAMS} parameters")
        for name, value in e.params.items():
            if len(value) > MAX_VALUE_LENGTH:
                raise DomainError(
                    f"{where}.params.{name}", f"longer than {MAX_VALUE_LENGTH} characters"
                )
        events.append(
            SdkEventReceived(
                originator_id=SdkEventReceived.id_for(app_id, e.event_id),
                originator_version=1,
                timestamp=received,
                app_id=app_id,
                event_id=e.event_id,
                type=e.type,
                name=e.name,
                event_ts=honoured_ts(e.ts, received),
                device=device,
                ip=event_ip,
                ua=e.ua if e.ua is not None else ua,
                referrer=e.referrer,
                revenue=revenue,
                currency=e.currency if revenue is not None else None,
                params=dict(e.params),
                source=source,
                country=country_of(event_ip),
            )
        )
    return events
