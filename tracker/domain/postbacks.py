"""Postbacks: which receivers hear of an attributed event, and the events of each delivery.

An attributed event (a decision, an in-app event) becomes a ``PostbackSource``; ``receivers``
says, from the catalog's postbacks and sending modes and the integrated partners' templates,
who is told. A delivery is ``PostbackQueued`` once, then one ``PostbackAttempted`` per try,
each version 1 of its own derived id (like clicks: no aggregate to load before appending), so
two senders recording the same attempt collide in the store instead of counting twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec
from eventsourcing.domain import DomainEvent

from tracker.plugin_types import PartnerSpec, PostbackTemplate

_NS = uuid5(NAMESPACE_URL, "https://tracker.invalid/postbacks")

# Decision types and in-app event types -> the postback event they are.
DECISION_EVENTS = {
    "new_install": "install",
    "reinstall": "reinstall",
    "reengagement": "reengagement",
}
IN_APP_EVENTS = ("registration", "login", "purchase", "custom")

TIMEOUT_SECONDS = 5.0
GIVE_UP_AFTER = timedelta(hours=24)
# The first retry within a minute, then growing: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h...
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
)


def delivery_id(source_id: str, receiver: str) -> UUID:
    return uuid5(_NS, f"delivery/{source_id}/{receiver}")


def attempt_id(delivery: UUID | str, attempt: int) -> UUID:
    return uuid5(_NS, f"attempt/{delivery}/{attempt}")


def plan_id(source_id: str) -> UUID:
    return uuid5(_NS, f"plan/{source_id}")


@dataclass(frozen=True)
class PostbacksPlanned(DomainEvent):
    """The receivers of one attributed event were chosen (possibly none): planned once."""

    source_id: str
    deliveries: list[str]


@dataclass(frozen=True)
class PostbackQueued(DomainEvent):
    """One postback to one receiver, due at ``due_at``. ``values`` are the macro values as
    they were when it was queued; secrets are not kept here but read when sending."""

    source_id: str
    receiver: str  # "partner:<id>" (an integrated partner's template) or "postback:<id>"
    partner_id: str | None
    postback_config_id: str | None
    app_id: str
    event_type: str
    template: dict[str, Any]
    values: dict[str, str]
    due_at: datetime


@dataclass(frozen=True)
class PostbackAttempted(DomainEvent):
    """One try: what was sent (secrets left out), what came back, and what happens next."""

    delivery_id: str
    attempt: int
    at: datetime
    method: str
    url: str
    status: int | None
    verdict: str  # delivered | retry | failed
    reason: str
    response: str
    next_due_at: datetime | None


class PostbackSource(msgspec.Struct, frozen=True, kw_only=True):
    """An attributed event as the postback rules see it."""

    id: str
    event_type: str  # install, reinstall, reengagement, registration, ..., first_payment, custom
    ts: datetime
    app_id: str
    attributed: bool  # to a touchpoint (not Organic)
    partner_id: str | None = None
    campaign_id: str | None = None
    event_name: str | None = None
    sdk_event_id: str | None = None
    touchpoint_id: str | None = None
    touchpoint_ts: datetime | None = None
    install_id: str | None = None
    install_ts: datetime | None = None
    link_code: str | None = None
    revenue: str | None = None
    currency: str | None = None


class Receiver(msgspec.Struct, frozen=True, kw_only=True):
    """One receiver of an event. ``partner_id`` is the partner whose template it is
    (``partner:<id>``) or a configured postback's partner filter (``postback:<id>``): the
    delivery is that partner's (its token lists it), but only a partner's own template goes
    through its plugin (``hook_partner``)."""

    key: str
    template: PostbackTemplate
    partner_id: str | None = None
    postback_config_id: str | None = None


class PostbackConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A postback configured through the API, as the rules need it."""

    id: str
    event: str
    event_name: str | None
    partner_id: str | None
    campaign_id: str | None
    app_id: str | None
    mode: str
    method: str
    url: str
    body: str | None


def _wanted(mode: str, source: PostbackSource, partner_id: str | None) -> bool:
    if mode == "all":
        return True
    if mode == "attributed":
        if partner_id is None:
            return source.attributed
        return source.attributed and source.partner_id == partner_id
    return False


def receivers(
    source: PostbackSource,
    *,
    partners: Mapping[str, PartnerSpec],
    configs: Iterable[PostbackConfig],
    sending: Mapping[str, Mapping[str, Mapping[str, str]]],
) -> list[Receiver]:
    """Who hears of ``source``. An integrated partner with a template for the event is told
    in its sending mode for the app and event (``attributed`` unless set: only the users it
    brought); a configured postback is told when its filters match and, for a partner's
    postback, the partner's sending mode (when set) allows it, else its own mode.
    ``sending`` is partner id -> app id -> event -> mode."""
    found: list[Receiver] = []
    for spec in partners.values():
        template = spec.postbacks.get(source.event_type)
        if template is None or spec.kind != "integrated":
            continue
        mode = sending.get(spec.id, {}).get(source.app_id, {}).get(source.event_type, "attributed")
        if _wanted(mode, source, spec.id):
            found.append(Receiver(key=f"partner:{spec.id}", template=template, partner_id=spec.id))
    for config in configs:
        if config.event != source.event_type:
            continue
        if config.event == "custom" and config.event_name != source.event_name:
            continue
        if config.app_id not in (None, source.app_id):
            continue
        if config.campaign_id not in (None, source.campaign_id):
            continue
        mode = config.mode
        if config.partner_id is not None:
            set_mode = sending.get(config.partner_id, {}).get(source.app_id, {})
            mode = set_mode.get(source.event_type, mode)
        if not _wanted(mode, source, config.partner_id):
            continue
        found.append(own_receiver(config))
    return found


def own_receiver(config: PostbackConfig) -> Receiver:
    """A configured postback as a receiver: its own URL and body templates."""
    template = PostbackTemplate(
        url=config.url,
        method="POST" if config.method == "POST" else "GET",
        body=config.body,
    )
    return Receiver(
        key=f"postback:{config.id}",
        template=template,
        partner_id=config.partner_id,
        postback_config_id=config.id,
    )


def hook_partner(receiver: str, partner_id: str | None) -> str | None:
    """The partner whose plugin hooks build and classify a delivery to ``receiver``: an
    integrated partner's own template (``partner:<id>``) is that partner's; a configured
    postback (``postback:<id>``) is the advertiser's own, sent to its URL with its secret and
    read by the default rules, whatever partner it is filtered to."""
    return partner_id if receiver.startswith("partner:") else None


def next_due(first_attempt_at: datetime, attempt: int, at: datetime) -> datetime | None:
    """When to try again after the ``attempt``-th try (1-based) failed at ``at``: None once
    24 hours have passed since the first try."""
    delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
    due = at + delay
    if due - first_attempt_at > GIVE_UP_AFTER:
        return None
    return due
