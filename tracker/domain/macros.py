"""Postback macros: the values a postback can carry and how ``{name}`` templates are filled.

Pure: ``macro_values`` turns the facts of one postback into raw strings, ``render`` fills a
URL or body template with them. See docs/macros.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal
from urllib.parse import quote

import msgspec

from tracker.domain.ingest import DEVICE_ID_FIELDS, SUBID_FIELDS

MACRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MACRO = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)

PARTNER_PARAM_PREFIX = "mtpp_"
EVENT_PARAM_PREFIX = "mtep_"


class PostbackFacts(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a postback may tell about one event and the touchpoint it is attributed to."""

    postback_id: str
    # install, reinstall, reengagement, registration, login, purchase, first_payment, custom,
    # launch
    event_type: str
    event_ts: datetime
    app_id: str
    event_name: str | None = None
    install_id: str | None = None
    install_ts: datetime | None = None
    click_id: str | None = None  # the attributed touchpoint id
    click_ts: datetime | None = None
    campaign_id: str | None = None
    partner_id: str | None = None
    link_code: str | None = None
    platform: str | None = None
    device: dict[str, str] = {}  # gaid, idfa, idfv, android_id, oaid, app_set_id, instance_id
    ip: str | None = None
    ua: str | None = None
    country: str | None = None
    revenue: Decimal | None = None
    currency: str | None = None
    subids: dict[str, str] = {}  # network, campaign, adset, creative, medium, sub1..sub5
    click_params: dict[str, str] = {}
    partner_params: dict[str, str] = {}  # names without the mtpp_ prefix
    event_params: dict[str, str] = {}  # names without the mtep_ prefix


_DEVICE_TITLES = {
    "gaid": "Google advertising id (GAID)",
    "idfa": "Apple advertising id (IDFA)",
    "android_id": "Android ID",
    "idfv": "Apple vendor id (IDFV)",
    "oaid": "Open Anonymous Device Identifier (OAID)",
    "app_set_id": "Google App Set ID",
}


def _device_macros() -> dict[str, str]:
    out: dict[str, str] = {}
    for field in DEVICE_ID_FIELDS:
        title = _DEVICE_TITLES[field]
        out[f"mt_{field}"] = f"{title}, as stored (lowercase)"
        out[f"mt_{field}_lc"] = f"{title}, lowercased"
        out[f"mt_{field}_uc"] = f"{title}, uppercased"
    return out


SYSTEM_MACROS: dict[str, str] = {
    **_device_macros(),
    "mt_idfa_or_gaid": (
        "the IDFA on iOS, the GAID on Android; on another platform the IDFA if there is one, "
        "else the GAID"
    ),
    "mt_idfa_upper_or_gaid_lower": (
        "the IDFA uppercased on iOS, the GAID lowercased on Android; on another platform the "
        "IDFA uppercased if there is one, else the GAID lowercased"
    ),
    "mt_instance_id": "the SDK's id of this installation of the app",
    "mt_event_ts": "when the event happened, unix seconds",
    "mt_event_name": "the event's name (custom events)",
    "mt_event_type": "the event type: install, reinstall, purchase, ...",
    "mt_payment_sum_src": "the revenue exactly as sent (no rounding, no exponent)",
    "mt_payment_currency": "the revenue's currency, ISO 4217",
    "mt_install_ts": "when the app was installed, unix seconds",
    "mt_click_ts": "when the attributed click (or impression) happened, unix seconds",
    "mt_ctit": "click to install time, whole seconds (rounded down)",
    "mt_ip": "the device's IP address",
    "mt_ua": "the device's User-Agent",
    "mt_country": "the device's country, ISO 3166-1 alpha-2",
    "mt_platform": "the app's platform: android, ios or web",
    "mt_app_id": "the app's id",
    "mt_campaign_id": "the attributed campaign's id",
    "mt_partner_id": "the attributed partner's id",
    "mt_link_id": "the attributed tracking link's code",
    "mt_click_id": "the attributed click's (or impression's) id",
    "mt_install_id": "the install's id",
    "mt_postback_id": "the postback's id",
}

SUBID_MACROS: tuple[str, ...] = tuple(f"mt_{field}" for field in SUBID_FIELDS)


def _unix(field: str, ts: datetime) -> int:
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware, got naive {ts.isoformat()}")
    return (ts - _EPOCH) // _SECOND


def _money(revenue: Decimal) -> str:
    if not revenue.is_finite():
        raise ValueError(f"revenue must be a finite number, got {revenue}")
    # "f" keeps every sent digit ("10.50") and never uses an exponent (str() gives "1.0E-7").
    return format(revenue, "f")


# The device ids only one platform has. A click may carry the other platform's too: a partner
# with one token for both (Unity's {ifa}) fills mt_idfa and mt_gaid with the same value.
PLATFORM_DEVICE_IDS: dict[str, frozenset[str]] = {
    "android": frozenset({"gaid", "android_id", "oaid", "app_set_id"}),
    "ios": frozenset({"idfa", "idfv"}),
}


def device_ids(
    platform: str | None, event: Mapping[str, str], click: Mapping[str, str]
) -> dict[str, str]:
    """The device ids of a postback: the event's, then those of the attributed click the event
    lacks, except the click's ids of the other platform (an Android install takes no IDFA
    from its click, an iOS install no GAID). Any platform else takes every id."""
    others: set[str] = set()
    if platform in PLATFORM_DEVICE_IDS:
        for other, names in PLATFORM_DEVICE_IDS.items():
            if other != platform:
                others |= names
    ids = dict(event)
    for name, value in click.items():
        if name not in others:
            ids.setdefault(name, value)
    return ids


def _advertising_id(platform: str | None, device: Mapping[str, str]) -> tuple[str | None, bool]:
    """The advertising id of the app's platform, and whether it is an IDFA."""
    if platform == "ios":
        return device.get("idfa") or None, True
    if platform == "android":
        return device.get("gaid") or None, False
    if device.get("idfa"):
        return device["idfa"], True
    return device.get("gaid") or None, False


def _system_values(f: PostbackFacts) -> dict[str, str | None]:
    device = f.device
    values: dict[str, str | None] = {}
    for field in DEVICE_ID_FIELDS:
        raw = device.get(field)
        values[f"mt_{field}"] = raw
        values[f"mt_{field}_lc"] = raw.lower() if raw else None
        values[f"mt_{field}_uc"] = raw.upper() if raw else None
    ad_id, is_idfa = _advertising_id(f.platform, device)
    values["mt_idfa_or_gaid"] = ad_id
    values["mt_idfa_upper_or_gaid_lower"] = (
        None if ad_id is None else ad_id.upper() if is_idfa else ad_id.lower()
    )
    values["mt_instance_id"] = device.get("instance_id")
    values["mt_event_ts"] = str(_unix("event_ts", f.event_ts))
    values["mt_event_name"] = f.event_name
    values["mt_event_type"] = f.event_type
    values["mt_payment_sum_src"] = None if f.revenue is None else _money(f.revenue)
    values["mt_payment_currency"] = f.currency
    install_ts = None if f.install_ts is None else _unix("install_ts", f.install_ts)
    click_ts = None if f.click_ts is None else _unix("click_ts", f.click_ts)
    values["mt_install_ts"] = None if install_ts is None else str(install_ts)
    values["mt_click_ts"] = None if click_ts is None else str(click_ts)
    values["mt_ctit"] = (
        None
        if f.install_ts is None or f.click_ts is None
        else str((f.install_ts - f.click_ts) // _SECOND)
    )
    values["mt_ip"] = f.ip
    values["mt_ua"] = f.ua
    values["mt_country"] = f.country
    values["mt_platform"] = f.platform
    values["mt_app_id"] = f.app_id
    values["mt_campaign_id"] = f.campaign_id
    values["mt_partner_id"] = f.partner_id
    values["mt_link_id"] = f.link_code
    values["mt_click_id"] = f.click_id
    values["mt_install_id"] = f.install_id
    values["mt_postback_id"] = f.postback_id
    return values


def _reserved(name: str) -> bool:
    """Names a lower-precedence source may not fill, even when their own source has no value."""
    return (
        name in SYSTEM_MACROS
        or name in SUBID_MACROS
        or name.startswith((PARTNER_PARAM_PREFIX, EVENT_PARAM_PREFIX))
    )


def macro_values(facts: PostbackFacts) -> dict[str, str]:
    """Every macro that has a value, by name, with its raw (unencoded) value.

    A name belongs to the first source that defines it: system macros, SubIDs, ``mtpp_`` /
    ``mtep_`` parameters, click parameters. So a click parameter named ``mt_ip`` or
    ``mtpp_account`` is never used. Empty strings count as no value. Raises ValueError for a
    naive timestamp or a non-finite revenue.
    """
    values = _system_values(facts)
    for field in SUBID_FIELDS:
        values[f"mt_{field}"] = facts.subids.get(field)
    for prefix, params in (
        (PARTNER_PARAM_PREFIX, facts.partner_params),
        (EVENT_PARAM_PREFIX, facts.event_params),
    ):
        for name, value in params.items():
            values[prefix + name] = value
    for name, value in facts.click_params.items():
        if not _reserved(name):
            values[name] = value
    return {k: v for k, v in values.items() if v and MACRO_NAME.fullmatch(k)}


def _json_string_body(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _url(value: str) -> str:
    return quote(value, safe="")


def _as_is(value: str) -> str:
    return value


_ENCODERS: dict[str, Callable[[str], str]] = {
    "url": _url,
    "json": _json_string_body,
    "none": _as_is,
}


def render(
    template: str,
    values: Mapping[str, str],
    *,
    encoding: Literal["url", "json", "none"] = "url",
) -> str:
    """Fill every ``{name}`` in ``template``; a macro with no value becomes empty.

    ``url`` percent-encodes each value (everything but ``A-Za-z0-9_.-~``); ``json`` escapes it
    for use inside a JSON string (the template supplies the quotes); ``none`` inserts it as is.
    Braces around anything that is not a macro name (JSON objects) are left alone.
    """
    try:
        encode = _ENCODERS[encoding]
    except KeyError:
        raise ValueError(f"unknown encoding {encoding!r}; use url, json or none") from None

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return encode(value) if value else ""

    return _MACRO.sub(fill, template)


def macros_in(template: str) -> list[str]:
    """The macro names a template uses, in order of first use, each once."""
    return list(dict.fromkeys(_MACRO.findall(template)))


def rewrite_link_template(url: str, mapping: Mapping[str, str]) -> str:
    """A tracking link as shown to a partner: each query parameter named in ``mapping``
    ({our parameter: the partner's macro}) gets the partner's macro as its value, verbatim.

    Other parameters, their order and encoding stay as they are; a mapped parameter the URL
    lacks is appended in the mapping's order.
    """
    if not mapping:
        return url
    rest, hash_mark, fragment = url.partition("#")
    base, _, query = rest.partition("?")
    pairs: list[str] = []
    seen: set[str] = set()
    for pair in query.split("&") if query else []:
        name = pair.partition("=")[0]
        if name in mapping:
            pair = f"{name}={mapping[name]}"
            seen.add(name)
        pairs.append(pair)
    pairs += [f"{name}={macro}" for name, macro in mapping.items() if name not in seen]
    return f"{base}?{'&'.join(pairs)}{hash_mark}{fragment}"
