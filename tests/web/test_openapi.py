"""/openapi.json describes every route of the app."""

from __future__ import annotations

import re
from typing import Any

import trio

HIDDEN = {"static", "openapi", "swagger_ui", "redoc_ui", "scalar_ui"}


def expected_operations(client: Any) -> set[tuple[str, str]]:
    operations = set()
    for rule in client.app.url_map.iter_rules():
        if rule.endpoint in HIDDEN:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations.add((method.lower(), path))
    return operations


async def test_openapi_lists_every_route(client: Any) -> None:
    with trio.fail_after(10):
        response = await client.get("/openapi.json")
        assert response.status_code == 200
        spec = await response.get_json()
        described = {(method, path) for path, item in spec["paths"].items() for method in item}
        expected = expected_operations(client)
        assert ("post", "/api/v1/apps") in expected
        assert ("get", "/healthz") in expected
        assert expected - described == set()
        assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_management_operations_have_summaries_and_request_schemas(client: Any) -> None:
    with trio.fail_after(10):
        spec = await (await client.get("/openapi.json")).get_json()
        management = {
            (method.lower(), re.sub(r"<([^<>]+)>", r"{\1}", rule.rule))
            for rule in client.app.url_map.iter_rules()
            if rule.endpoint.startswith("api.")
            for method in rule.methods - {"HEAD", "OPTIONS"}
        }
        assert len(management) >= 30
        for method, path in management:
            operation = spec["paths"][path][method]
            assert operation.get("summary"), (method, path)
            if method in ("post", "put", "patch") and not path.endswith("/archive"):
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                assert body, (method, path)
        app_body = spec["paths"]["/api/v1/apps"]["post"]["requestBody"]
        schema = app_body["content"]["application/json"]["schema"]
        assert set(schema["required"]) == {"title", "platform"}
        events = spec["paths"]["/api/v1/events"]["get"]
        assert {p["name"] for p in events["parameters"]} >= {"after", "limit"}


async def test_secret_and_settings_routes_document_their_answers(client: Any) -> None:
    with trio.fail_after(10):
        spec = await (await client.get("/openapi.json")).get_json()
        paths = spec["paths"]

        def answer(path: str, method: str, status: str) -> dict[str, Any]:
            return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]

        created = answer("/api/v1/postbacks", "post", "201")
        assert {"signed", "secret"} <= set(created["properties"])
        assert "secret" not in created["required"] and "signed" in created["required"]
        patched = answer("/api/v1/postbacks/{postback_id}", "patch", "200")
        assert patched["properties"] == created["properties"]
        for path, method in [
            ("/api/v1/postbacks", "post"),
            ("/api/v1/postbacks/{postback_id}", "patch"),
        ]:
            body = paths[path][method]["requestBody"]["content"]["application/json"]["schema"]
            assert {"secret", "generate_secret"} <= set(body["properties"])
        settings_path = "/api/v1/partners/{partner_id}/settings/{app_id}"
        settings = answer(settings_path, "put", "200")
        assert set(settings["required"]) == {"app_id", "settings"}
        body = paths[settings_path]["put"]["requestBody"]["content"]["application/json"]
        assert body["schema"]["type"] == "object"


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


async def test_every_reference_resolves_and_every_operation_documents_its_errors(client: Any):
    with trio.fail_after(10):
        spec = await (await client.get("/openapi.json")).get_json()
    assert spec["openapi"].startswith("3.1")
    refs = _refs(spec)
    assert "#/components/schemas/AttributionIn" in refs
    for ref in refs:
        node: Any = spec
        for part in ref.removeprefix("#/").split("/"):
            assert part in node, ref
            node = node[part]
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert any(s.startswith(("2", "3")) for s in statuses), (method, path)
            if operation["security"]:
                assert "401" in statuses, (method, path)
            if "{" in path:
                assert "404" in statuses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413"} <= statuses, (method, path)
            for status in statuses - {"200", "201", "204", "302"}:
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == error_ref, (method, path, status)
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    assert spec["paths"]["/sdk/v1/events"]["post"]["security"] == [{"sdk_key": []}]
    partners = spec["components"]["schemas"]["PartnerIn"]["properties"]["utm_sources"]
    assert partners["minItems"] == 1
