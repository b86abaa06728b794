"""Credentials are checked before the body and the query on every route: a request without
them, or with wrong ones, answers 401 whatever else it carries."""

from __future__ import annotations

import re

import pytest

from tests.conftest import auth

PUBLIC = {"/static/<path:filename>", "/openapi.json", "/docs", "/healthz", "/c/<code>", "/i/<code>"}
SDK_KEY_ROUTES = {"/sdk/v1/events", "/sdk/v1/attribution"}
BAD_QUERY = "?limit=many&after=-5&from=yesterday&format=xml&stream=nowhere&app_id="
BAD_BODIES = [b"", b"{", b'{"events": []}', b"[]", b'{"title": 5}']


def _routes(app) -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule not in PUBLIC
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def _path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"\1", rule)


async def test_every_route_but_the_public_ones_needs_credentials(client):
    routes = _routes(client.app)
    assert len(routes) > 40
    assert ("POST", "/sdk/v1/events") in routes
    for method, rule in routes:
        wrong = {"X-SDK-Key": "wrong"} if rule in SDK_KEY_ROUTES else auth("wrong")
        for headers in ({}, wrong):
            for body in BAD_BODIES:
                r = await client.open(
                    _path(rule) + BAD_QUERY,
                    method=method,
                    data=body,
                    headers={**headers, "Content-Type": "application/json"},
                )
                assert r.status_code == 401, (method, rule, headers, body, r.status_code)
                detail = (await r.get_json())["detail"]
                field = "X-SDK-Key" if rule in SDK_KEY_ROUTES else "Authorization"
                assert detail.startswith(field), (method, rule, detail)


@pytest.mark.parametrize("body", [b'{"events": []}', b"{", b'{"events": [{}]}'])
async def test_sdk_events_without_a_key_answer_401_whatever_the_body(client, body):
    for headers in ({}, {"X-SDK-Key": "wrong"}, {"X-SDK-Key": "  "}):
        r = await client.post(
            "/sdk/v1/events", data=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert r.status_code == 401, (headers, body)
