from __future__ import annotations


class DomainError(Exception):
    """A rule was broken. ``field`` names what was wrong; the web layer maps ``status``."""

    status = 400
    code = "invalid"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unavailable(DomainError):
    """Accepted work could not be finished now; sending it again is safe."""

    status = 503
    code = "unavailable"
