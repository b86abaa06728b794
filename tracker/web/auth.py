"""Bearer tokens: ``admin`` reads and writes, ``viewer`` reads, ``partner`` reads its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import msgspec
from quart import g, request

from tracker.domain.errors import DomainError, Forbidden
from tracker.services.catalog import hash_token
from tracker.web.context import tracker
from tracker.web.openapi import mark_access


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Principal(msgspec.Struct, frozen=True):
    role: str
    partner_id: str | None = None

    def can_see_partner(self, partner_id: str | None) -> bool:
        return self.role != "partner" or partner_id == self.partner_id


def current_principal() -> Principal:
    return g.principal


def _authenticate() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization", "a Bearer token is required")
    found = tracker().catalog.token(hash_token(token.strip()))
    if found is None or found.revoked:
        raise Unauthorized("Authorization", "unknown or revoked token")
    return Principal(role=found.role, partner_id=found.partner_id)


def requires(access: str) -> Callable:
    """``read`` admits every role (partners scoped by the handler); ``write`` only admin."""
    if access not in ("read", "write"):
        raise ValueError(access)

    def decorator(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @wraps(handler)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = _authenticate()
            if access == "write" and principal.role != "admin":
                raise Forbidden("Authorization", f"a {principal.role} token cannot change data")
            g.principal = principal
            return await handler(*args, **kwargs)

        mark_access(wrapper, access)
        return wrapper

    return decorator


def requires_sdk_key(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The app's SDK key in ``X-SDK-Key``, checked before the body or query is read; the
    handler finds the app in ``g.sdk_app``."""

    @wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("X-SDK-Key", "").strip()
        if not key:
            raise Unauthorized("X-SDK-Key", "the app's SDK key is required")
        app = tracker().catalog.app_by_sdk_key(key)
        if app is None:
            raise Unauthorized("X-SDK-Key", "unknown SDK key")
        g.sdk_app = app
        return await handler(*args, **kwargs)

    mark_access(wrapper, "sdk_key")
    return wrapper
