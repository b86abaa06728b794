"""Postbacks: the requests sent to partners when events happen."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate, event

from tracker.domain.catalog._shared import _choice, _given, _record_changes, _title, stable_topics
from tracker.domain.catalog.vocabulary import POSTBACK_EVENTS, POSTBACK_METHODS, POSTBACK_MODES
from tracker.domain.errors import DomainError
from tracker.domain.rules import check_url

SECRET_LENGTH = (16, 256)


@stable_topics
class Postback(Aggregate):
    """A postback configured through the API, sent to its own URL template; its requests are
    signed (HMAC) when it has a ``secret``."""

    # str | None. A class default rather than set by ``Configured``: postbacks stored before
    # secrets existed, and their view rows, have no such attribute, and rows of postbacks never
    # signed stay the bytes they were (so ``tracker replay`` still finds old views equal). Not
    # annotated: a class annotation would make eventsourcing process the class as a dataclass.
    secret = None

    class SecretSet(Aggregate.Event):
        """The signing secret was set or replaced."""

        secret: str
        # Shown as hidden by the event history (GET /api/v1/events).
        hidden_fields: ClassVar[tuple[str, ...]] = ("secret",)

    @event("Configured")
    def __init__(
        self,
        title: str,
        event: str,
        event_name: str | None,
        partner_id: str | None,
        campaign_id: str | None,
        app_id: str | None,
        mode: str,
        method: str,
        url: str,
        body: str | None,
    ) -> None:
        self.title = title
        self.event = event
        self.event_name = event_name
        self.partner_id = partner_id
        self.campaign_id = campaign_id
        self.app_id = app_id
        self.mode = mode
        self.method = method
        self.url = url
        self.body = body
        self.deleted = False

    @classmethod
    def configure(cls, **fields: Any) -> Postback:
        fields["title"] = _title(fields["title"])
        _choice("event", fields["event"], POSTBACK_EVENTS)
        if fields["event"] == "custom" and not fields.get("event_name"):
            raise DomainError("event_name", "required for a custom event postback")
        _choice("mode", fields["mode"], POSTBACK_MODES)
        _choice("method", fields["method"], POSTBACK_METHODS)
        _check_template_url(fields["url"])
        if fields["method"] == "GET" and fields.get("body"):
            raise DomainError("body", "a GET postback has no body")
        return cls(**fields)

    def update(
        self,
        *,
        title: str | None = None,
        url: str | None = None,
        mode: str | None = None,
        body: str | None = None,
    ) -> None:
        clean = _given(title=title, url=url, mode=mode, body=body)
        if "mode" in clean:
            _choice("mode", clean["mode"], POSTBACK_MODES)
        if "url" in clean:
            _check_template_url(clean["url"])
        if clean.get("body") and self.method == "GET":
            raise DomainError("body", "a GET postback has no body")
        _record_changes(self, clean)

    @event("Updated")
    def _updated(self, changes: dict[str, Any]) -> None:
        self.__dict__.update(changes)

    @event("Deleted")
    def delete(self) -> None:
        self.deleted = True

    def set_secret(self, secret: str) -> None:
        """Sign this postback's requests with ``secret`` from now on; the same one records
        nothing."""
        low, high = SECRET_LENGTH
        if not isinstance(secret, str) or not low <= len(secret) <= high:
            raise DomainError("secret", f"must be {low} to {high} characters")
        if secret != self.secret:
            self._secret_set(secret=secret)

    @event(SecretSet)
    def _secret_set(self, secret: str) -> None:
        self.secret = secret

    def remove_secret(self) -> None:
        """Send unsigned from now on; nothing recorded when there is no secret."""
        if self.secret is not None:
            self._secret_removed()

    @event("SecretRemoved")
    def _secret_removed(self) -> None:
        self.secret = None


def _check_template_url(url: str) -> None:
    # Macros may stand anywhere, even in the host ({partner_host}), so check the template's
    # shape with every macro filled by a neutral value.
    check_url("url", re.sub(r"\{[A-Za-z0-9_]+\}", "x", url))
