"""Devices as the attribution stream knows them: one aggregate per (app, device), plus one small
``DeviceKey`` aggregate per identifier (instance id, advertising ids) naming its device.

A first install creates the ``Device`` and claims its keys in one save. Two installs of one
device racing each other (two processes, or a duplicate) both try to create version 1 of the
same aggregates: the store refuses the second, which then sees the device and attributes nothing
twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate, event

from tracker.domain.attribution import Attribution, Decision, Prior, Trigger, lapsed

_NS = uuid5(NAMESPACE_URL, "https://tracker.invalid/attribution")


def device_id_for(app_id: str, kind: str, value: str) -> UUID:
    """A device is named after the first identifier it was seen with."""
    return uuid5(_NS, f"device/{app_id}/{kind}:{value}")


class DeviceKey(Aggregate):
    @staticmethod
    def create_id(app_id: str, kind: str, value: str) -> UUID:
        return uuid5(_NS, f"key/{app_id}/{kind}:{value}")

    @event("Claimed")
    def __init__(self, app_id: str, kind: str, value: str, device_id: UUID) -> None:
        self.app_id = app_id
        self.kind = kind
        self.value = value
        self.device_id = device_id


class Device(Aggregate):
    @staticmethod
    def create_id(app_id: str, first_key: str) -> UUID:
        kind, _, value = first_key.partition(":")
        return device_id_for(app_id, kind, value)

    @event("InstallAttributed")
    def __init__(
        self,
        app_id: str,
        first_key: str,
        keys: list[str],
        instance_id: str | None,
        decision: dict[str, Any],
    ) -> None:
        self.app_id = app_id
        self.keys = list(keys)
        self.instances = [instance_id] if instance_id else []
        d = Decision.from_event(decision)
        self.attribution = d.attribution.answer() | _extra(d.attribution)
        self.install_id = d.attribution.install_id
        self.installed_at = d.ts
        self.last_activity = d.ts
        self.installs = 1

    def prior(self) -> Prior:
        return Prior(
            attribution=self.current_attribution,
            last_activity=self.last_activity,
            install_id=self.install_id,
        )

    @property
    def current_attribution(self) -> Attribution:
        return msgspec.convert(self.attribution, Attribution)

    def trigger_for(
        self,
        event_type: str,
        instance_id: str | None,
        trigger: Trigger,
        inactivity_window_days: int,
    ) -> Trigger | None:
        """What an event of this known device asks to decide, if anything: a new installation
        is a reinstall whatever the event says; a launch after the inactivity window may be a
        re-engagement; anything else (the same installation again, a launch inside the
        window, an in-app event) decides nothing."""
        if instance_id is not None and instance_id not in self.instances:
            return msgspec.structs.replace(trigger, type="install", new_instance=True)
        if event_type == "launch" and lapsed(
            self.last_activity, trigger.ts, inactivity_window_days
        ):
            return msgspec.structs.replace(trigger, type="launch", new_instance=False)
        return None

    def add_keys(self, keys: list[str]) -> None:
        new = [k for k in keys if k not in self.keys]
        if new:
            self._keys_added(keys=new)

    @event("KeysAdded")
    def _keys_added(self, keys: list[str]) -> None:
        self.keys = [*self.keys, *keys]

    def decide(self, decision: Decision, instance_id: str | None) -> None:
        self._reattribution_decided(decision=decision.to_event(), instance_id=instance_id)

    @event("ReattributionDecided")
    def _reattribution_decided(self, decision: dict[str, Any], instance_id: str | None) -> None:
        d = Decision.from_event(decision)
        self.attribution = d.attribution.answer() | _extra(d.attribution)
        self.install_id = d.attribution.install_id
        if d.type == "reinstall":
            self.installs += 1
            self.installed_at = d.ts
        if instance_id and instance_id not in self.instances:
            self.instances = [*self.instances, instance_id]
        self.last_activity = max(self.last_activity, d.ts)

    def record_event(
        self,
        *,
        event_id: str,
        sdk_event_id: str,
        type: str,
        name: str | None,
        event_ts: datetime,
        revenue: Decimal | None,
        currency: str | None,
    ) -> None:
        self._in_app_event_attributed(
            event_id=event_id,
            sdk_event_id=sdk_event_id,
            type=type,
            name=name,
            event_ts=event_ts,
            revenue=revenue,
            currency=currency,
            attribution=dict(self.attribution),
        )

    @event("InAppEventAttributed")
    def _in_app_event_attributed(
        self,
        event_id: str,
        sdk_event_id: str,
        type: str,
        name: str | None,
        event_ts: datetime,
        revenue: Decimal | None,
        currency: str | None,
        attribution: dict[str, Any],
    ) -> None:
        self.last_activity = max(self.last_activity, event_ts)


def _extra(a: Attribution) -> dict[str, Any]:
    return {
        "touchpoint_id": a.touchpoint_id,
        "touchpoint_ts": a.touchpoint_ts,
        "decision_id": a.decision_id,
        "install_id": a.install_id,
        "deep_link": a.deep_link,
    }
