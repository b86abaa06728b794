"""Shared steps of the management API tests: create things through the API and return them."""

from __future__ import annotations

from typing import Any

from tests.conftest import auth

ANDROID_STORE = "https://play.google.com/store/apps/details?id=com.example.game"


async def call(
    client: Any,
    method: str,
    path: str,
    *,
    token: str | None = None,
    expect: int | None = None,
    **kwargs: Any,
) -> tuple[int, Any]:
    headers = auth(token) if token is not None else auth()
    response = await client.open(path, method=method, headers=headers, **kwargs)
    body = await response.get_data(as_text=True)
    data = await response.get_json() if body else None
    if expect is not None:
        assert response.status_code == expect, (method, path, response.status_code, body)
    if response.status_code >= 400:
        assert_error_shape(data)
    return response.status_code, data


def assert_error_shape(data: Any) -> None:
    assert isinstance(data, dict), data
    assert set(data) == {"error", "detail"}, data
    assert isinstance(data["error"], str) and data["error"]
    assert isinstance(data["detail"], str) and data["detail"]


async def error(client: Any, method: str, path: str, status: int, **kwargs: Any) -> dict:
    """Expect an error with this status; return its body."""
    _, data = await call(client, method, path, expect=status, **kwargs)
    return data


async def create_app(client: Any, **fields: Any) -> dict[str, Any]:
    body = {"title": "Game", "platform": "android", "store_url": ANDROID_STORE} | fields
    return (await call(client, "POST", "/api/v1/apps", json=body, expect=201))[1]


async def create_partner(client: Any, **fields: Any) -> dict[str, Any]:
    body = {"title": "Network", "utm_sources": ["network"]} | fields
    return (await call(client, "POST", "/api/v1/partners", json=body, expect=201))[1]


async def create_campaign(client: Any, **fields: Any) -> dict[str, Any]:
    body = {"title": "Spring", "traffic_type": "media"} | fields
    return (await call(client, "POST", "/api/v1/campaigns", json=body, expect=201))[1]


async def create_link(client: Any, campaign_id: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "Link"} | fields
    path = f"/api/v1/campaigns/{campaign_id}/links"
    return (await call(client, "POST", path, json=body, expect=201))[1]


async def create_smart_link(client: Any, campaign_id: str, **fields: Any) -> dict[str, Any]:
    targets = {
        "android": ANDROID_STORE,
        "ios": "https://apps.apple.com/app/id123",
        "fallback": "https://example.com/",
    }
    return await create_link(client, campaign_id, targets=targets, **fields)


async def create_token(client: Any, role: str, partner_id: str | None = None) -> str:
    body = {"role": role, "partner_id": partner_id}
    return (await call(client, "POST", "/api/v1/tokens", json=body, expect=201))[1]["token"]
