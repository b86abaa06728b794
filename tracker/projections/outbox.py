"""The postback outbox, over the attribution stream: what to plan, what is due, what was tried.

Tables:

- ``sources``: attributed events (installs, reinstalls, re-engagements, in-app events and a
  device's first payment) whose receivers are not chosen yet; gone once ``PostbacksPlanned``;
- ``deliveries``: one row per queued postback with its state (``queued``, ``retrying``,
  ``delivered``, ``failed``) and the time it is due, indexed by (state, due time);
- ``attempts``: every attempt, numbered in stream order (``seq``) for paging.

Key rows ``install/<install id>`` (its time) and ``paid/<install id>`` (a purchase was seen)
give in-app events their install time and tell a first payment.

Everything here follows from the events: a replay rebuilds the delivered and failed states,
so nothing is sent twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from eventsourcing.utils import get_topic

from tracker.domain.attribution import Decision
from tracker.domain.devices import Device
from tracker.domain.postbacks import (
    DECISION_EVENTS,
    IN_APP_EVENTS,
    PostbackAttempted,
    PostbackQueued,
    PostbackSource,
    PostbacksPlanned,
)
from tracker.projections.base import Projection, Rows
from tracker.projections.tables import Column, Table

SOURCES = Table(
    "sources",
    columns=(
        Column("source_id", "text"),
        Column("ts", "timestamp"),
        Column("source", "blob"),
    ),
    primary_key=("source_id",),
    indexes=(("ts",),),
)
DELIVERIES = Table(
    "deliveries",
    columns=(
        Column("delivery_id", "text"),
        Column("state", "text"),
        Column("due_at", "timestamp", nullable=True),
        Column("attempts", "integer"),
        Column("first_attempt_at", "timestamp", nullable=True),
        Column("receiver", "text"),
        Column("partner_id", "text", nullable=True),
        Column("postback_config_id", "text", nullable=True),
        Column("app_id", "text"),
        Column("event_type", "text"),
        Column("queued_at", "timestamp"),
        Column("last_reason", "text", nullable=True),
        Column("queued", "blob"),
    ),
    primary_key=("delivery_id",),
    indexes=(("state", "due_at"),),
)
ATTEMPTS = Table(
    "attempts",
    columns=(
        Column("seq", "integer"),
        Column("delivery_id", "text"),
        Column("attempt", "integer"),
        Column("at", "timestamp"),
        Column("receiver", "text"),
        Column("partner_id", "text", nullable=True),
        Column("postback_config_id", "text", nullable=True),
        Column("app_id", "text"),
        Column("event_type", "text"),
        Column("postback_id", "text"),
        Column("method", "text"),
        Column("url", "text"),
        Column("status", "integer", nullable=True),
        Column("verdict", "text"),
        Column("reason", "text"),
        Column("response", "text"),
        Column("next_due_at", "timestamp", nullable=True),
    ),
    primary_key=("seq",),
    indexes=(("delivery_id",), ("postback_config_id", "seq"), ("at",)),
)

ACTIVE_STATES = ("queued", "retrying")


def _source_row(source: PostbackSource) -> dict[str, Any]:
    return {"source_id": source.id, "ts": source.ts, "source": source_data(source)}


def source_data(source: PostbackSource) -> dict[str, Any]:
    return msgspec.to_builtins(source, builtin_types=(datetime,))


class OutboxProjection(Projection):
    name = "outbox"
    application = "attribution"
    topics = (
        get_topic(Device.InstallAttributed),
        get_topic(Device.ReattributionDecided),
        get_topic(Device.InAppEventAttributed),
        get_topic(PostbacksPlanned),
        get_topic(PostbackQueued),
        get_topic(PostbackAttempted),
    )
    tables = (SOURCES, DELIVERIES, ATTEMPTS)

    def apply(self, event: Any, rows: Rows) -> None:
        if isinstance(event, PostbackAttempted):
            self._attempted(event, rows)
        elif isinstance(event, PostbackQueued):
            self._queued(event, rows)
        elif isinstance(event, PostbacksPlanned):
            rows.table("sources").delete({"source_id": event.source_id})
        elif isinstance(event, Device.InAppEventAttributed):
            self._in_app(event, rows)
        elif isinstance(event, Device.InstallAttributed | Device.ReattributionDecided):
            self._decided(event, rows)

    def _decided(self, event: Any, rows: Rows) -> None:
        decision = Decision.from_event(event.decision)
        event_type = DECISION_EVENTS.get(decision.type)
        if event_type is None:
            return  # a launch inside the inactivity window decides nothing
        a = decision.attribution
        app_id = decision.app_id or rows.get(f"device/{event.originator_id}") or ""
        rows.put(f"device/{event.originator_id}", app_id)
        if a.install_id and decision.type != "reengagement":
            rows.put(f"install/{a.install_id}", decision.ts)
        source = PostbackSource(
            id=decision.id if event_type == "install" else f"{decision.id}/{event_type}",
            event_type=event_type,
            ts=decision.ts,
            app_id=app_id,
            attributed=a.type != "organic",
            partner_id=a.partner_id,
            campaign_id=a.campaign_id,
            sdk_event_id=decision.id,
            touchpoint_id=a.touchpoint_id,
            touchpoint_ts=a.touchpoint_ts,
            install_id=a.install_id,
            install_ts=rows.get(f"install/{a.install_id}") if a.install_id else None,
            link_code=a.link_code,
        )
        rows.table("sources").insert(_source_row(source))

    def _in_app(self, event: Device.InAppEventAttributed, rows: Rows) -> None:
        if event.type not in IN_APP_EVENTS:
            return
        a = event.attribution
        install_id = a.get("install_id")
        common = {
            "ts": event.event_ts,
            "app_id": rows.get(f"device/{event.originator_id}") or "",
            "attributed": a.get("type") not in (None, "organic"),
            "partner_id": a.get("partner_id"),
            "campaign_id": a.get("campaign_id"),
            "event_name": event.name,
            "sdk_event_id": event.sdk_event_id,
            "touchpoint_id": a.get("touchpoint_id"),
            "touchpoint_ts": a.get("touchpoint_ts"),
            "install_id": install_id,
            "install_ts": rows.get(f"install/{install_id}") if install_id else None,
            "link_code": a.get("link_code"),
            "revenue": None if event.revenue is None else format(event.revenue, "f"),
            "currency": event.currency,
        }
        sources = rows.table("sources")
        sources.insert(
            _source_row(PostbackSource(id=event.sdk_event_id, event_type=event.type, **common))
        )
        if event.type == "purchase" and install_id and rows.get(f"paid/{install_id}") is None:
            rows.put(f"paid/{install_id}", True)
            first = PostbackSource(
                id=f"{event.sdk_event_id}/first_payment", event_type="first_payment", **common
            )
            sources.insert(_source_row(first))

    def _queued(self, event: PostbackQueued, rows: Rows) -> None:
        rows.table("deliveries").insert(
            {
                "delivery_id": str(event.originator_id),
                "state": "queued",
                "due_at": event.due_at,
                "attempts": 0,
                "first_attempt_at": None,
                "receiver": event.receiver,
                "partner_id": event.partner_id,
                "postback_config_id": event.postback_config_id,
                "app_id": event.app_id,
                "event_type": event.event_type,
                "queued_at": event.due_at,
                "last_reason": None,
                "queued": {
                    "source_id": event.source_id,
                    "template": event.template,
                    "values": event.values,
                },
            }
        )

    def _attempted(self, event: PostbackAttempted, rows: Rows) -> None:
        deliveries = rows.table("deliveries")
        delivery = deliveries.get({"delivery_id": event.delivery_id})
        if delivery is None:
            return
        state = {"delivered": "delivered", "failed": "failed"}.get(event.verdict, "retrying")
        deliveries.update(
            {"delivery_id": event.delivery_id},
            {
                "state": state,
                "due_at": event.next_due_at if state == "retrying" else None,
                "attempts": max(delivery["attempts"], event.attempt),
                "first_attempt_at": delivery["first_attempt_at"] or event.at,
                "last_reason": event.reason,
            },
        )
        seq = (rows.get("seq") or 0) + 1
        rows.put("seq", seq)
        rows.table("attempts").insert(
            {
                "seq": seq,
                "delivery_id": event.delivery_id,
                "attempt": event.attempt,
                "at": event.at,
                "receiver": delivery["receiver"],
                "partner_id": delivery["partner_id"],
                "postback_config_id": delivery["postback_config_id"],
                "app_id": delivery["app_id"],
                "event_type": delivery["event_type"],
                "postback_id": delivery["queued"]["values"].get("mt_postback_id", ""),
                "method": event.method,
                "url": event.url,
                "status": event.status,
                "verdict": event.verdict,
                "reason": event.reason,
                "response": event.response,
                "next_due_at": event.next_due_at,
            }
        )
