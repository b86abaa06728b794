"""Click and impression query parameters (PRODUCT.md "Tracking links").

Bad input never stops a redirect: every parameter that cannot be used is left out of the
click and named in ``malformed`` with the reason.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote_to_bytes

from tracker.domain.errors import DomainError
from tracker.domain.rules import MAX_EVENT_AMOUNT, check_currency

MAX_VALUE_LENGTH = 1024
MAX_PARAMS = 64
MAX_QUERY_LENGTH = 16384
MAX_COST_VALUE = MAX_EVENT_AMOUNT
DEFAULT_COST_CURRENCY = "USD"
COST_MODELS = ("CPI", "CPC", "CPM")

DEVICE_PARAMS = {
    "mt_gaid": "gaid",
    "mt_idfa": "idfa",
    "mt_android_id": "android_id",
    "mt_oaid": "oaid",
    "mt_idfv": "idfv",
    "mt_app_set_id": "app_set_id",
}
SUBID_PARAMS = {
    "mt_network": "network",
    "mt_campaign": "campaign",
    "mt_adset": "adset",
    "mt_creative": "creative",
    "mt_medium": "medium",
    "mt_sub1": "sub1",
    "mt_sub2": "sub2",
    "mt_sub3": "sub3",
    "mt_sub4": "sub4",
    "mt_sub5": "sub5",
}
# MyTracker's mapping, used only when the mt_ SubID itself is absent.
UTM_SUBIDS = {
    "utm_source": "network",
    "utm_medium": "medium",
    "utm_campaign": "campaign",
    "utm_term": "adset",
    "utm_content": "creative",
}
COST_PARAMS = ("mt_cost_model", "mt_cost_value", "mt_cost_currency", "mt_cost_count")
# Understood but not kept as click parameters.
CONTROL_PARAMS = ("mt_no_redirect", "mt_pixel", "mt_ip", "mt_ua")

_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\Z"
)
_HEX = re.compile(r"[0-9a-fA-F]+\Z")
_OAID = re.compile(r"[0-9a-fA-F-]{16,64}\Z")
_COUNT = re.compile(r"[0-9]{1,9}\Z")


@dataclass(slots=True)
class Touch:
    """What a click or impression query says, ready for the event."""

    device: dict[str, str] = field(default_factory=dict)
    subids: dict[str, str] = field(default_factory=dict)
    cost: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    malformed: dict[str, str] = field(default_factory=dict)
    no_redirect: bool = False
    pixel: bool = False
    ip: str | None = None
    ua: str | None = None


def _show(value: str) -> str:
    return repr(value if len(value) <= 64 else value[:64] + "...")


def _decode(raw: bytes) -> tuple[str, bool]:
    """Percent-decode one query component; ``(text, ok)`` where not ok means invalid UTF-8
    (the text then holds U+FFFD where the bad bytes were)."""
    if b"%" not in raw and b"+" not in raw:
        try:
            return raw.decode(), True
        except UnicodeDecodeError:
            return raw.decode(errors="replace"), False
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    try:
        return data.decode(), True
    except UnicodeDecodeError:
        return data.decode(errors="replace"), False


def split_query(query: bytes) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """``(pairs in order, malformed)``: decodable pairs; others named in malformed."""
    malformed: dict[str, str] = {}
    if not query:
        return [], malformed
    if len(query) > MAX_QUERY_LENGTH:
        malformed["query"] = f"longer than {MAX_QUERY_LENGTH} bytes; the rest is ignored"
        query = query[:MAX_QUERY_LENGTH].rpartition(b"&")[0]
    pairs: list[tuple[str, str]] = []
    if b"%" not in query and b"+" not in query and b"\x00" not in query:
        try:
            text = query.decode()
        except UnicodeDecodeError:
            pass
        else:
            for piece in text.split("&"):
                if piece:
                    name, _, value = piece.partition("=")
                    pairs.append((name, value))
            return pairs, malformed
    for piece in query.split(b"&"):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition(b"=")
        name, name_ok = _decode(raw_name)
        value, value_ok = _decode(raw_value)
        if not name_ok:
            malformed[name] = "parameter name is not valid UTF-8"
            continue
        if "\x00" in name:
            malformed[name.replace("\x00", "\ufffd")] = "parameter name holds a NUL character"
            continue
        if not value_ok:
            malformed[name] = "invalid UTF-8 (a raw byte or a percent-escape)"
            continue
        if "\x00" in value:
            # no text column of a view can hold it (PostgreSQL refuses NUL in text)
            malformed[name] = "holds a NUL character (%00)"
            continue
        pairs.append((name, value))
    return pairs, malformed


def _device_id(key: str, value: str) -> str:
    if key == "android_id":
        if not (8 <= len(value) <= 16 and _HEX.match(value)):
            raise ValueError(f"not an Android ID (8 to 16 hex digits): {_show(value)}")
        return value.lower()
    if key == "oaid":
        if not _OAID.match(value):
            raise ValueError(f"not an OAID (16 to 64 hex digits or dashes): {_show(value)}")
        normal = value.lower()
    else:
        if not _UUID.match(value):
            raise ValueError(f"not a UUID: {_show(value)}")
        digits = value.replace("-", "").lower()
        normal = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    if not normal.strip("0-"):
        raise ValueError("all zeros (ad tracking is limited on the device)")
    return normal


def _cost(raw: dict[str, str], malformed: dict[str, str]) -> dict[str, Any] | None:
    bad = False
    model = raw.get("mt_cost_model")
    if model is not None:
        model = model.upper()
        if model not in COST_MODELS:
            malformed["mt_cost_model"] = f"must be one of {', '.join(COST_MODELS)}"
            bad = True
    value: Decimal | None = None
    if "mt_cost_value" in raw:
        text = raw["mt_cost_value"]
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            malformed["mt_cost_value"] = f"not a decimal number: {_show(text)}"
            bad = True
        else:
            if not value.is_finite():
                malformed["mt_cost_value"] = "must be a finite number"
                bad = True
            elif value < 0:
                malformed["mt_cost_value"] = "must not be negative"
                bad = True
            elif value > MAX_COST_VALUE:
                malformed["mt_cost_value"] = f"must be at most {MAX_COST_VALUE}"
                bad = True
    currency = raw.get("mt_cost_currency", DEFAULT_COST_CURRENCY).upper()
    try:
        check_currency("mt_cost_currency", currency)
    except DomainError as e:
        malformed["mt_cost_currency"] = e.detail
        bad = True
    count = 1
    if "mt_cost_count" in raw:
        text = raw["mt_cost_count"]
        if not _COUNT.match(text) or int(text) < 1:
            malformed["mt_cost_count"] = f"must be a positive integer: {_show(text)}"
            bad = True
        else:
            count = int(text)
    if model is None and not bad:
        malformed["mt_cost_model"] = "required with the other mt_cost_ parameters"
        return None
    if value is None and not bad:
        malformed["mt_cost_value"] = "required with mt_cost_model"
        return None
    if bad:
        return None
    return {"model": model, "value": value, "currency": currency, "count": count}


def parse_touch(query: bytes) -> Touch:
    """Turn a click or impression query string (raw, percent-encoded) into a Touch."""
    pairs, malformed = split_query(query)
    touch = Touch(malformed=malformed)
    if not pairs:
        return touch
    seen: set[str] = set()
    utm: dict[str, str] = {}
    cost_raw: dict[str, str] | None = None
    for name, value in pairs:
        if name in seen:
            malformed.setdefault(name, "repeated; the first value is kept")
            continue
        seen.add(name)
        if len(value) > MAX_VALUE_LENGTH:
            malformed[name] = f"longer than {MAX_VALUE_LENGTH} characters; left out"
            continue
        if name.startswith("mt_"):
            if name in SUBID_PARAMS:
                if value:
                    touch.subids[SUBID_PARAMS[name]] = value
                continue
            if name in DEVICE_PARAMS:
                if value:
                    key = DEVICE_PARAMS[name]
                    try:
                        touch.device[key] = _device_id(key, value)
                    except ValueError as e:
                        malformed[name] = str(e)
                continue
            if name in COST_PARAMS:
                if value:
                    if cost_raw is None:
                        cost_raw = {}
                    cost_raw[name] = value
                continue
            if name in CONTROL_PARAMS:
                _control(touch, name, value)
                continue
        elif name in UTM_SUBIDS and value:
            utm[UTM_SUBIDS[name]] = value
        if len(touch.params) >= MAX_PARAMS:
            malformed["params"] = f"more than {MAX_PARAMS} other parameters; the rest is left out"
            continue
        touch.params[name] = value
    for key, value in utm.items():
        touch.subids.setdefault(key, value)
    if cost_raw is not None:
        touch.cost = _cost(cost_raw, malformed)
    return touch


def _control(touch: Touch, name: str, value: str) -> None:
    if name == "mt_no_redirect":
        touch.no_redirect = value == "1"
    elif name == "mt_pixel":
        touch.pixel = value == "1"
    elif name == "mt_ua":
        touch.ua = value or None
    elif name == "mt_ip" and value:
        try:
            touch.ip = str(ipaddress.ip_address(value))
        except ValueError:
            touch.malformed[name] = f"not an IP address: {_show(value)}"
