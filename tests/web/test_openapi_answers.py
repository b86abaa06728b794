"""/openapi.json describes the success answers the server really sends: every documented 2xx
and 3xx has content (or is a 204/302 without a body), and real answers of a few routes
validate against their documented schemas, ``$ref`` resolved.

A small validator of the JSON Schema subset msgspec emits (``jsonschema`` is not a dependency):
``$ref``, ``type``, ``anyOf``, ``enum``/``const``, ``required``, ``properties``,
``additionalProperties``, ``items``, and the ``date``/``date-time`` formats."""

from __future__ import annotations

import re
from typing import Any

import trio

from tests.web.api_helpers import call, create_app, create_campaign, create_partner

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, TYPES[kind])


def problems(value: Any, schema: dict[str, Any], spec: dict[str, Any], at: str = "$") -> list:
    """Where ``value`` breaks ``schema``; empty when it conforms."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return problems(value, spec["components"]["schemas"][name], spec, at)
    if "anyOf" in schema:
        options = [problems(value, option, spec, at) for option in schema["anyOf"]]
        if all(options):
            return [f"{at}: matches none of anyOf: {options}"]
        return []
    found: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, kind) for kind in kinds):
            return [f"{at}: {value!r} is not of type {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{at}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str):
        pattern = {"date": DATE, "date-time": DATE_TIME}.get(schema.get("format", ""))
        if pattern is not None and not pattern.match(value):
            found.append(f"{at}: {value!r} is not a {schema['format']}")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{at}: required {name!r} is missing")
        extra = schema.get("additionalProperties", {})
        for name, item in value.items():
            sub = properties.get(name, extra if isinstance(extra, dict) else {})
            if extra is False and name not in properties:
                found.append(f"{at}: unexpected {name!r}")
            found += problems(item, sub, spec, f"{at}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += problems(item, schema["items"], spec, f"{at}[{i}]")
    return found


async def _spec(client: Any) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return await response.get_json()


def answer_schema(spec: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    answer = spec["paths"][path][method]["responses"][str(status)]
    return answer["content"]["application/json"]["schema"]


def assert_conforms(
    spec: dict[str, Any], method: str, path: str, status: int, body: Any
) -> dict[str, Any]:
    schema = answer_schema(spec, method, path, status)
    assert problems(body, schema, spec) == [], (method, path, status)
    return schema


async def test_every_success_answer_is_described(client: Any) -> None:
    with trio.fail_after(10):
        spec = await _spec(client)
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                successes = {
                    code: answer
                    for code, answer in operation["responses"].items()
                    if code.startswith(("2", "3"))
                }
                assert successes, (method, path)
                for code, answer in successes.items():
                    assert answer.get("description"), (method, path, code)
                    if code == "204":
                        assert not answer.get("content"), (method, path)
                    elif code == "302":
                        assert "Location" in answer.get("headers", {}), (method, path)
                    else:
                        content = answer.get("content") or {}
                        assert content, (method, path, code)
                        for media_type, described in content.items():
                            assert described.get("schema"), (method, path, code, media_type)
        deletes = [
            "/api/v1/corrections/{correction_id}",
            "/api/v1/postbacks/{postback_id}",
            "/api/v1/tokens/{token_id}",
        ]
        for path in deletes:
            assert set(spec["paths"][path]["delete"]["responses"]) & {"200", "204"} == {"204"}
        raw = spec["paths"]["/api/v1/raw/clicks"]["get"]["responses"]["200"]["content"]
        assert set(raw) == {"application/x-ndjson", "text/csv"}


async def test_the_validator_finds_what_is_wrong(client: Any) -> None:
    with trio.fail_after(10):
        spec = await _spec(client)
        schema = answer_schema(spec, "get", "/api/v1/apps", 200)
        wrong = {"apps": [{"id": 1, "platform": "tv", "created_at": "yesterday"}]}
        found = "\n".join(problems(wrong, schema, spec))
        assert "$.apps[0]: required 'sdk_key' is missing" in found
        assert "$.apps[0].id: 1 is not of type ['string']" in found
        assert "$.apps[0].platform: 'tv' not in" in found
        assert "'yesterday' is not a date-time" in found


async def test_created_app_matches_its_schema(client: Any) -> None:
    with trio.fail_after(10):
        spec = await _spec(client)
        app = await create_app(client)
        schema = assert_conforms(spec, "post", "/api/v1/apps", 201, app)
        assert set(schema["required"]) == set(app)
        assert "200" not in spec["paths"]["/api/v1/apps"]["post"]["responses"]
        _, listed = await call(client, "GET", "/api/v1/apps", expect=200)
        assert_conforms(spec, "get", "/api/v1/apps", 200, listed)


async def test_partners_list_matches_its_schema(client: Any) -> None:
    with trio.fail_after(10):
        spec = await _spec(client)
        app = await create_app(client)
        partner = await create_partner(client, macros={"mt_gaid": "{gaid}"})
        await call(
            client,
            "PUT",
            f"/api/v1/partners/{partner['id']}/sending/{app['id']}",
            json={"install": "all"},
            expect=200,
        )
        _, listed = await call(client, "GET", "/api/v1/partners", expect=200)
        assert_conforms(spec, "get", "/api/v1/partners", 200, listed)
        kinds = {p["kind"] for p in listed["partners"]}
        assert {"custom", "system"} <= kinds
        schema = spec["components"]["schemas"]["PartnerOut"]
        assert "created_at" not in schema["required"]
        assert all("created_at" in p for p in listed["partners"] if p["kind"] == "custom")


async def test_created_link_matches_its_schema(client: Any) -> None:
    with trio.fail_after(10):
        spec = await _spec(client)
        app = await create_app(client)
        partner = await create_partner(client, macros={"mt_gaid": "{gaid}"})
        campaign = await create_campaign(client, partner_id=partner["id"])
        path = f"/api/v1/campaigns/{campaign['id']}/links"
        body = {"title": "Link", "app_id": app["id"], "target_url": "https://example.com/"}
        _, link = await call(client, "POST", path, json=body, expect=201)
        schema = assert_conforms(spec, "post", "/api/v1/campaigns/{campaign_id}/links", 201, link)
        assert "click_url_template" in link
        assert "click_url_template" not in schema["required"]
        smart = {"title": "Smart", "targets": {"fallback": "https://example.com/"}}
        _, smart_link = await call(client, "POST", path, json=smart, expect=201)
        assert_conforms(spec, "post", "/api/v1/campaigns/{campaign_id}/links", 201, smart_link)
        _, listed = await call(client, "GET", path, expect=200)
        assert_conforms(spec, "get", "/api/v1/campaigns/{campaign_id}/links", 200, listed)


async def test_json_report_matches_its_schema(client: Any) -> None:
    with trio.fail_after(10):
        spec = await _spec(client)
        app = await create_app(client)
        campaign = await create_campaign(client)
        await call(
            client,
            "POST",
            f"/api/v1/campaigns/{campaign['id']}/tariffs",
            json={"model": "cpc", "currency": "USD", "starts_on": "2026-10-01", "rate": "0.25"},
            expect=201,
        )
        _, link = await call(
            client,
            "POST",
            f"/api/v1/campaigns/{campaign['id']}/links",
            json={"title": "Link", "app_id": app["id"], "target_url": "https://example.com/"},
            expect=201,
        )
        click = await client.get(f"/c/{link['code']}?mt_no_redirect=1")
        assert click.status_code == 200
        assert_conforms(spec, "get", "/c/{code}", 200, await click.get_json())
        query = (
            "/api/v1/reports?from=2026-11-01&to=2026-11-01&dimensions=day,campaign,country"
            "&metrics=clicks,installs,revenue,campaign_cost,ctr,cr,ecpi,roi"
        )
        _, report = await call(client, "GET", query, expect=200)
        assert_conforms(spec, "get", "/api/v1/reports", 200, report)
        assert report["rows"], report
        content = spec["paths"]["/api/v1/reports"]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv"}
