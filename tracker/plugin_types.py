"""Value types shared with plugin authors (re-exported from ``tracker``)."""

from __future__ import annotations

from typing import Literal

import msgspec

BodyEncoding = Literal["url", "json", "none"]
Verdict = Literal["delivered", "retry", "failed"]


class PostbackTemplate(msgspec.Struct, kw_only=True, frozen=True):
    """How a partner wants to hear of one kind of event: a URL template (GET) or a URL plus
    a body template (POST), with optional header templates. Macros are ``{name}``
    (docs/macros.md); values are percent-encoded in the URL and encoded in the body as
    ``body_encoding`` says (``json``: escaped for a JSON string)."""

    url: str
    method: Literal["GET", "POST"] = "GET"
    body: str | None = None
    headers: dict[str, str] = {}
    body_encoding: BodyEncoding = "json"
    content_type: str = "application/json"


class PartnerSpec(msgspec.Struct, kw_only=True, frozen=True):
    """An integrated (or system) partner as a plugin describes it.

    ``macros`` rewrites the link templates shown for it (``{"mt_idfa": "%%IDFA%%"}``);
    ``params`` are its ``mtpp_`` campaign parameters; ``postbacks`` maps an event type
    (``install``, ``purchase``, ...) to its template; ``events`` lists the event types it
    supports (default: those it has a template for); ``settings`` names the per-app values
    an advertiser must set for it (an API token, the partner's own app id), read by its
    templates as ``{setting_<name>}``."""

    id: str
    title: str
    kind: str = "integrated"
    utm_sources: tuple[str, ...] = ()
    macros: dict[str, str] = {}
    params: dict[str, str] = {}
    postbacks: dict[str, PostbackTemplate] = {}
    events: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    documentation: str = ""

    @property
    def supported_events(self) -> tuple[str, ...]:
        return self.events or tuple(self.postbacks)


class PostbackRequest(msgspec.Struct, kw_only=True, frozen=True):
    """An HTTP request described, not sent: the postback sender performs it."""

    method: Literal["GET", "POST"]
    url: str
    headers: dict[str, str] = {}
    body: str | None = None


class PostbackResponse(msgspec.Struct, kw_only=True, frozen=True):
    """What the receiver answered (the body cut to its first 64 KiB)."""

    status: int
    body: str = ""
    headers: dict[str, str] = {}


class DeliveryOutcome(msgspec.Struct, kw_only=True, frozen=True):
    """``delivered``; ``retry`` (try again later); ``failed`` (never again), with why."""

    verdict: Verdict
    reason: str = ""
