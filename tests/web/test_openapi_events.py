"""The SDK and S2S event schemas of /openapi.json say what the server enforces: an event the
schema allows is accepted, one it refuses is refused with 400, and the same for
GET /sdk/v1/attribution."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import jsonschema_rs
import msgspec
import pytest
import trio
from hypothesis import given
from hypothesis import strategies as st

from tests.web.ingest_support import served, setup_links
from tracker.ingest.params import _device_id
from tracker.ingest.sdk import (
    ANDROID_ID_PATTERN,
    MAX_REVENUE,
    OAID_PATTERN,
    REVENUE_PATTERN,
    UUID_PATTERN,
    EventIn,
)

GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"
ZEROS = "00000000-0000-0000-0000-000000000000"


def _event(**fields: Any) -> dict[str, Any]:
    return {"type": "launch", "device": {"instance_id": "i-1"}} | fields


ACCEPTED = [
    _event(),
    _event(type="install"),
    _event(device={"gaid": GAID}),
    _event(device={"idfa": GAID.upper().replace("-", "")}),
    _event(device={"idfv": "38400000-8cf011bd-b23e10b96e40000d"}),
    _event(device={"app_set_id": GAID}),
    _event(device={"android_id": "00000000"}),  # only advertising ids count zeros as absent
    _event(device={"android_id": "ABCDEF0123456789"}),
    _event(device={"oaid": "0123456789abcdef-0"}),
    _event(device={"gaid": ZEROS, "instance_id": "i-1"}),
    _event(device={"gaid": None, "instance_id": "i-1"}),
    _event(type="custom", name="level_up"),
    _event(type="purchase", revenue="4.99", currency="EUR"),
    _event(type="purchase", revenue=4.99, currency="EUR"),
    _event(type="purchase", revenue=0, currency="USD"),
    _event(type="purchase", revenue="0001000000000.00", currency="USD"),
    _event(type="purchase", revenue=1000000000, currency="USD"),
    _event(currency="USD"),
    _event(revenue=None),
    _event(ts="2026-11-01T10:00:00+02:00"),
    _event(ip="203.0.113.7"),
    _event(ip="2001:db8::1"),
    _event(ua="Mozilla/5.0", referrer="mt_click_id=abc"),
    _event(params={f"p{i}": "v" * 1024 for i in range(64)}),
]

REFUSED = [
    {"type": "launch"},
    _event(device={}),
    _event(device={"gaid": ZEROS}),
    _event(device={"idfa": "0000000000000000-0000000000000000"}),
    _event(device={"oaid": "0000-0000-0000-0000"}),
    _event(device={"oaid": "----------------"}),
    _event(device={"gaid": "abc"}),
    _event(device={"gaid": GAID + "\n"}),
    _event(device={"gaid": "38400000--8cf0-11bd-b23e-10b96e40000d"}),
    _event(device={"android_id": "0123456"}),
    _event(device={"android_id": "0123456789abcdef0"}),
    _event(device={"android_id": "0123456g"}),
    _event(device={"oaid": "0123456789abcde"}),
    _event(device={"instance_id": "i\x00"}),
    _event(type="install", device={"gaid": GAID}),
    _event(type="custom"),
    _event(type="purchase"),
    _event(type="purchase", revenue=None, currency="USD"),
    _event(revenue="1.00"),
    _event(revenue="-1", currency="USD"),
    _event(revenue=-1, currency="USD"),
    _event(revenue="1000000000.01", currency="USD"),
    _event(revenue=1000000001, currency="USD"),
    _event(revenue="NaN", currency="USD"),
    _event(currency="ABC"),
    _event(ts="yesterday"),
    _event(ip="1.2.3"),
    _event(ip="localhost"),
    _event(name="a\x00b"),
    _event(ua="\x00"),
    _event(referrer="x\x00"),
    _event(params={"a\x00": "b"}),
    _event(params={"a": "\x00"}),
    _event(params={f"p{i}": "v" for i in range(65)}),
    _event(params={"a": "v" * 1025}),
]


async def _spec(client: Any) -> dict[str, Any]:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def _validator(spec: dict[str, Any], path: str, method: str) -> Any:
    pointer = path.replace("/", "~1")
    schema = {
        "$ref": f"#/paths/{pointer}/{method}/requestBody/content/application~1json/schema",
        "components": spec["components"],
        "paths": spec["paths"],
    }
    return jsonschema_rs.validator_for(schema, validate_formats=True)


async def test_the_event_schema_allows_what_the_server_accepts(tracker: Any) -> None:
    with trio.fail_after(30):
        async with served(tracker) as (client, _):
            key = (await setup_links(client))["app"]["sdk_key"]
            validator = _validator(await _spec(client), "/sdk/v1/events", "post")
            for n, event in enumerate(ACCEPTED + REFUSED):
                batch = {"events": [{"event_id": f"e{n}", **event}]}
                r = await client.post("/sdk/v1/events", json=batch, headers={"X-SDK-Key": key})
                assert r.status_code in (200, 400), r.text
                allowed = event in ACCEPTED
                assert (r.status_code == 200, validator.is_valid(batch)) == (allowed, allowed), (
                    event,
                    r.text,
                )


async def test_the_attribution_query_names_at_least_one_device_id(tracker: Any) -> None:
    with trio.fail_after(30):
        async with served(tracker) as (client, _):
            key = (await setup_links(client))["app"]["sdk_key"]
            spec = await _spec(client)
            (parameter,) = spec["paths"]["/sdk/v1/attribution"]["get"]["parameters"]
            assert (parameter["in"], parameter["style"], parameter["explode"]) == (
                "query",
                "form",
                True,
            )
            validator = jsonschema_rs.validator_for(parameter["schema"])
            for query, allowed in [
                ({"instance_id": "i-1"}, True),
                ({"gaid": GAID, "oaid": " "}, True),
                ({}, False),
                ({"instance_id": " \t"}, False),
                ({"idfa": ""}, False),
            ]:
                r = await client.get(
                    "/sdk/v1/attribution", params=query, headers={"X-SDK-Key": key}
                )
                # an unknown device is 404: the request itself was well-formed
                assert (r.status_code != 400, validator.is_valid(query)) == (allowed, allowed), (
                    query,
                    r.text,
                )


def _refusal(key: str, value: str) -> str | None:
    try:
        _device_id(key, value)
    except ValueError as e:
        return str(e)
    return None


@pytest.mark.parametrize(
    ("key", "pattern"),
    [("gaid", UUID_PATTERN), ("android_id", ANDROID_ID_PATTERN), ("oaid", OAID_PATTERN)],
)
@given(data=st.data())
def test_device_id_patterns_are_what_the_server_accepts(
    key: str, pattern: str, data: st.DataObject
) -> None:
    matching = data.draw(st.from_regex(pattern))
    refusal = _refusal(key, matching)
    assert refusal is None or refusal.startswith("all zeros"), (matching, refusal)
    other = data.draw(st.text(alphabet="0123456789abcdefABCDEFg-\n", max_size=70))
    if not re.search(pattern, other):
        assert _refusal(key, other) is not None, other


@given(st.from_regex(REVENUE_PATTERN))
def test_revenue_pattern_is_a_decimal_in_range(text: str) -> None:
    event = msgspec.json.decode(
        msgspec.json.encode({"event_id": "e", "type": "launch", "revenue": text}), type=EventIn
    )
    assert event.revenue == Decimal(text)
    assert 0 <= event.revenue <= MAX_REVENUE
