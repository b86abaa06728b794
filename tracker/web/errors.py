"""Every error leaves as ``{"error": code, "detail": message}`` with a 4xx; a 500 is a bug."""

from __future__ import annotations

import logging
import re

import msgspec
from quart import Quart, current_app, request
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    RequestEntityTooLarge,
)
from werkzeug.exceptions import NotFound as WerkzeugNotFound

from tracker.domain.errors import DomainError
from tracker.web.responses import error_response

log = logging.getLogger(__name__)

_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
}


_FIELD_PROBLEM = re.compile(r"^Object (contains unknown|missing required) field `([^`]*)`$")


def describe_validation_error(error: BaseException) -> str:
    """msgspec says ``... - at `$.attribution.click_window_hours```: lead with the field."""
    text = str(error)
    if not isinstance(error, msgspec.ValidationError):
        if text == "Expected `object`, got `null`":
            return "body: a JSON object is required (Content-Type: application/json)"
        return f"body: {text}"
    message, where = text, ""
    if " - at `$" in text:
        message, _, where = text.rpartition(" - at `$")
        where = where.rstrip("`").lstrip(".")
    problem = _FIELD_PROBLEM.match(message)
    if problem:
        kind, name = problem.groups()
        field = f"{where}.{name}" if where else name
        return f"{field}: {'unknown field' if kind == 'contains unknown' else 'required'}"
    if where:
        return f"{where}: {message}"
    if text == "Expected `object`, got `null`":
        return "body: a JSON object is required"
    return f"body: {text}"


def _http_detail(error: HTTPException) -> str:
    if isinstance(error, BadRequest) and type(error) is BadRequest:
        return "body: not valid JSON"
    if isinstance(error, WerkzeugNotFound):
        return f"path: no such route {request.path}"
    if isinstance(error, MethodNotAllowed):
        allowed = ", ".join(sorted(error.valid_methods or ()))
        return f"method: {request.method} is not allowed on {request.path} (allowed: {allowed})"
    if isinstance(error, RequestEntityTooLarge):
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return f"body: larger than {limit} bytes" if limit else "body: too large"
    return str(error.description or error.name)


def install_error_handlers(app: Quart) -> None:
    @app.errorhandler(DomainError)
    async def domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        return error_response(error.status, error.code, f"{error.field}: {error.detail}")

    @app.errorhandler(RequestSchemaValidationError)
    async def schema_error(error: RequestSchemaValidationError):  # type: ignore[no-untyped-def]
        return error_response(400, "invalid", describe_validation_error(error.validation_error))

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        if status >= 500:
            log.error("HTTP %s: %s", status, error)
            return error_response(500, "internal", "internal error")
        response = error_response(status, _CODES.get(status, "error"), _http_detail(error))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response

    @app.errorhandler(Exception)
    async def unexpected(error: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error", exc_info=error)
        return error_response(500, "internal", "internal error")
