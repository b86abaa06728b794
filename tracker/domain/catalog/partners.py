"""Partners, and the postback sending modes and per-app settings of every partner, custom or
from a plugin."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar
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

SETTING_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
SETTING_VALUE_LENGTH = (1, 1024)
# The class default of ``settings`` (never changed: an event replaces the attribute), not set
# by the created events: partners stored before settings existed, and their view rows, have no
# such attribute, and rows of partners without settings stay the bytes they were (so
# ``tracker replay`` still finds old views equal). Not annotated in the classes: a class
# annotation would make eventsourcing process the class as a dataclass.
_NO_SETTINGS: Mapping[str, Mapping[str, str]] = MappingProxyType({})


@stable_topics
class Partner(Aggregate):
    """A custom partner. Integrated partners come from plugins, system partners are fixed."""

    settings = _NO_SETTINGS  # app id -> setting name -> value; see _NO_SETTINGS

    class SettingsSet(Aggregate.Event):
        """Settings of one app changed: a value sets the setting, None removes it."""

        app_id: str
        settings: dict[str, str | None]
        # Shown without values by the event history (GET /api/v1/events).
        hidden_fields: ClassVar[tuple[str, ...]] = ("settings",)

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

    def set_settings(self, app_id: str, settings: dict[str, Any]) -> None:
        """Set (a string) or remove (None) settings of one app. A custom partner declares no
        settings, so any well-formed name is accepted."""
        changes = _setting_changes(self.settings, app_id, settings, declared=None)
        if changes:
            self._settings_set(app_id=app_id, settings=changes)

    @event(SettingsSet)
    def _settings_set(self, app_id: str, settings: dict[str, str | None]) -> None:
        self.settings = _merged_settings(self.settings, app_id, settings)


def _check_sending(modes: dict[str, str]) -> None:
    for event_type, mode in modes.items():
        _choice(event_type, event_type, POSTBACK_EVENTS)
        _choice(event_type, mode, SENDING_MODES)


@stable_topics
class PartnerSending(Aggregate):
    """Sending modes and per-app settings of a partner that has no aggregate of its own
    (integrated and system partners come from plugins), one per partner id."""

    settings = _NO_SETTINGS  # app id -> setting name -> value; see _NO_SETTINGS

    class SettingsSet(Aggregate.Event):
        """Settings of one app changed: a value sets the setting, None removes it."""

        app_id: str
        settings: dict[str, str | None]
        # Shown without values by the event history (GET /api/v1/events).
        hidden_fields: ClassVar[tuple[str, ...]] = ("settings",)

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

    def set_settings(
        self, app_id: str, settings: dict[str, Any], declared: tuple[str, ...]
    ) -> None:
        """Set (a string) or remove (None) settings of one app; names must be among the
        ``declared`` settings of the plugin's partner."""
        changes = _setting_changes(self.settings, app_id, settings, declared=declared)
        if changes:
            self._settings_set(app_id=app_id, settings=changes)

    @event(SettingsSet)
    def _settings_set(self, app_id: str, settings: dict[str, str | None]) -> None:
        self.settings = _merged_settings(self.settings, app_id, settings)


def _setting_changes(
    current: Mapping[str, Mapping[str, str]],
    app_id: str,
    settings: dict[str, Any],
    *,
    declared: tuple[str, ...] | None,
) -> dict[str, str | None]:
    """The settings checked, keeping only those that change what the app has."""
    low, high = SETTING_VALUE_LENGTH
    for name, value in settings.items():
        field = f"settings.{name}"
        if declared is None:
            if not SETTING_NAME.fullmatch(name):
                raise DomainError(
                    field,
                    "a setting name is a lower-case letter, then at most 63 lower-case "
                    "letters, digits or underscores",
                )
        elif name not in declared:
            known = ", ".join(declared) if declared else "none"
            raise DomainError(field, f"not a setting of this partner (its settings: {known})")
        if value is not None and (not isinstance(value, str) or not low <= len(value) <= high):
            raise DomainError(field, f"must be a string of {low} to {high} characters, or null")
    app = current.get(app_id, {})
    return {name: value for name, value in settings.items() if app.get(name) != value}


def _merged_settings(
    current: Mapping[str, Mapping[str, str]], app_id: str, changes: dict[str, str | None]
) -> dict[str, dict[str, str]]:
    merged = {**current.get(app_id, {}), **changes}
    result = {k: dict(v) for k, v in current.items()}
    result[app_id] = {name: value for name, value in merged.items() if value is not None}
    if not result[app_id]:
        del result[app_id]
    return result


def _utm_sources(values: list[str]) -> list[str]:
    cleaned = [v.strip() for v in values if v and v.strip()]
    if not cleaned:
        raise DomainError("utm_sources", "at least one utm_source value is required")
    return cleaned
