"""Partners and the postback sending modes of every partner, custom or from a plugin."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from tracker.domain.catalog._shared import (
    _NS,
    _choice,
    _given,
    _record_changes,
    _title,
    stable_topics,
)
from tracker.domain.catalog.vocabulary import POSTBACK_EVENTS, SENDING_MODES
from tracker.domain.errors import DomainError


@stable_topics
class Partner(Aggregate):
    """A custom partner. Integrated partners come from plugins, system partners are fixed."""

    @event("Created")
    def __init__(
        self,
        title: str,
        utm_sources: list[str],
        macros: dict[str, str],
        params: dict[str, str],
    ) -> None:
        self.title = title
        self.utm_sources = utm_sources
        self.macros = macros
        self.params = params
        self.sending: dict[str, dict[str, str]] = {}

    @classmethod
    def create(
        cls,
        *,
        title: str,
        utm_sources: list[str],
        macros: dict[str, str],
        params: dict[str, str],
    ) -> Partner:
        return cls(
            title=_title(title),
            utm_sources=_utm_sources(utm_sources),
            macros=dict(macros),
            params=dict(params),
        )

    def update(
        self,
        *,
        title: str | None = None,
        utm_sources: list[str] | None = None,
        macros: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        clean = _given(title=title, utm_sources=utm_sources, macros=macros, params=params)
        if "utm_sources" in clean:
            clean["utm_sources"] = _utm_sources(clean["utm_sources"])
        _record_changes(self, clean)

    @event("Updated")
    def _updated(self, changes: dict[str, Any]) -> None:
        self.__dict__.update(changes)

    def set_sending(self, app_id: str, modes: dict[str, str]) -> None:
        _check_sending(modes)
        current = self.sending.get(app_id, {})
        if any(current.get(k) != v for k, v in modes.items()):
            self._sending_set(app_id=app_id, modes=dict(modes))

    @event("SendingModesSet")
    def _sending_set(self, app_id: str, modes: dict[str, str]) -> None:
        self.sending = {**self.sending, app_id: {**self.sending.get(app_id, {}), **modes}}


def _check_sending(modes: dict[str, str]) -> None:
    for event_type, mode in modes.items():
        _choice(event_type, event_type, POSTBACK_EVENTS)
        _choice(event_type, mode, SENDING_MODES)


@stable_topics
class PartnerSending(Aggregate):
    """Sending modes of a partner that has no aggregate of its own (integrated and system
    partners come from plugins), one per partner id."""

    @staticmethod
    def create_id(partner_id: str) -> UUID:
        return uuid5(_NS, f"partner-sending/{partner_id}")

    @event("Created")
    def __init__(self, partner_id: str) -> None:
        self.partner_id = partner_id
        self.sending: dict[str, dict[str, str]] = {}

    def set_sending(self, app_id: str, modes: dict[str, str]) -> None:
        _check_sending(modes)
        current = self.sending.get(app_id, {})
        if any(current.get(k) != v for k, v in modes.items()):
            self._sending_set(app_id=app_id, modes=dict(modes))

    @event("SendingModesSet")
    def _sending_set(self, app_id: str, modes: dict[str, str]) -> None:
        self.sending = {**self.sending, app_id: {**self.sending.get(app_id, {}), **modes}}


def _utm_sources(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values if v and v.strip()]
    if not cleaned:
        raise DomainError("utm_sources", "at least one utm_source value is required")
    return cleaned
