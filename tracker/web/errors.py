"""Every error leaves as ``{"error": code, "detail": message}`` with a 4xx; a 500 is a bug."""

from __future__ import annotations

import logging

import msgspec
from quart import Quart
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import BadRequest, HTTPException

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


def describe_validation_error(error: BaseException) -> str:
    """msgspec says ``... - at `$.attribution.click_window_hours```: lead with the field."""
    text = str(error)
    if isinstance(error, msgspec.ValidationError) and " - at `$." in text:
        message, _, where = text.rpartition(" - at `$.")
        return f"{where.rstrip('`')}: {message}"
    if isinstance(error, msgspec.ValidationError) and text.startswith("Object missing required"):
        field = text.rsplit("`", 2)[-2] if text.count("`") >= 2 else text
        return f"{field}: required"
    if text == "Expected `object`, got `null`":
        return "body: a JSON object is required (Content-Type: application/json)"
    return f"body: {text}"


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
        detail = error.description or error.name
        if type(error) is BadRequest:
            detail = "body: not valid JSON"
        return error_response(status, _CODES.get(status, "error"), str(detail))

    @app.errorhandler(Exception)
    async def unexpected(error: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error", exc_info=error)
        return error_response(500, "internal", "internal error")
