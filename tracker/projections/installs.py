"""Installs and attribution decisions, for raw export and for explaining an install.

Rows:

- ``attribution/<ts>/<decision id>`` -> every decision (installs, reinstalls, re-engagements)
  with its method, touchpoint, windows, flags and the candidates passed over;
- ``installs/<ts>/<install id>`` -> one row per install (first installs and reinstalls);
- ``install/<install id>`` -> the key of its decision row.

Each row is written by one event and never changed: replays and racing catch-ups agree.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from tracker.domain.attribution import Decision
from tracker.domain.devices import Device
from tracker.projections.base import Projection, Rows
from tracker.projections.touchpoints import ts_key

INSTALL_TYPES = ("new_install", "reinstall")


def decision_record(
    decision: Decision, *, device_id: str, app_id: str, instance_id: str | None
) -> dict[str, Any]:
    a = decision.attribution
    tp = decision.touchpoint
    return {
        "decision_id": decision.id,
        "type": decision.type,
        "ts": decision.ts,
        "install_id": a.install_id,
        "device_id": device_id,
        "app_id": app_id,
        "instance_id": instance_id,
        "attribution": a.type,
        "method": decision.method,
        "reattributed": decision.reattributed,
        "campaign_id": a.campaign_id,
        "link_code": a.link_code,
        "partner_id": a.partner_id,
        "click_id": a.click_id,
        "touchpoint_id": a.touchpoint_id,
        "touchpoint_kind": tp.kind if tp else None,
        "touchpoint_ts": a.touchpoint_ts,
        "matched_by": tp.matched_by if tp else None,
        "windows": (
            {
                "click_window_hours": tp.settings.click_window_hours,
                "view_window_hours": tp.settings.view_window_hours,
                "fingerprint_window_hours": tp.settings.fingerprint_window_hours,
            }
            if tp
            else None
        ),
        "ctit_seconds": decision.ctit_seconds,
        "flags": list(decision.flags),
        "since": decision.since,
        "inactive_seconds": decision.inactive_seconds,
        "inactivity_window_days": decision.inactivity_window_days,
        "passed_over": [
            {
                "id": p.id,
                "kind": p.kind,
                "method": p.method,
                "link_code": p.link_code,
                "ts": p.ts,
                "reason": p.reason,
            }
            for p in decision.passed_over
        ],
        "deep_link": a.deep_link,
    }


INSTALL_FIELDS = (
    "install_id",
    "type",
    "ts",
    "app_id",
    "device_id",
    "instance_id",
    "attribution",
    "method",
    "campaign_id",
    "link_code",
    "partner_id",
    "click_id",
    "ctit_seconds",
    "decision_id",
)
ATTRIBUTION_FIELDS = (
    "decision_id",
    "type",
    "ts",
    "install_id",
    "app_id",
    "device_id",
    "instance_id",
    "attribution",
    "method",
    "reattributed",
    "campaign_id",
    "link_code",
    "partner_id",
    "click_id",
    "touchpoint_id",
    "touchpoint_kind",
    "touchpoint_ts",
    "matched_by",
    "ctit_seconds",
    "flags",
    "passed_over",
)


class InstallsProjection(Projection):
    name = "installs"
    application = "attribution"
    topics = (
        get_topic(Device.InstallAttributed),
        get_topic(Device.ReattributionDecided),
    )

    def apply(self, event: Any, rows: Rows) -> None:
        name = type(event).__qualname__
        if name not in ("Device.InstallAttributed", "Device.ReattributionDecided"):
            return
        decision = Decision.from_event(event.decision)
        record = decision_record(
            decision,
            device_id=str(event.originator_id),
            app_id=decision.app_id,
            instance_id=event.instance_id,
        )
        key = f"attribution/{ts_key(decision.ts)}/{decision.id}"
        rows.put(key, record)
        if decision.type in INSTALL_TYPES:
            install_id = record["install_id"]
            rows.put(
                f"installs/{ts_key(decision.ts)}/{install_id}",
                {f: record[f] for f in INSTALL_FIELDS if f != "type"}
                | {"type": "install" if decision.type == "new_install" else "reinstall"},
            )
            rows.put(f"install/{install_id}", key)
