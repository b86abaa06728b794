"""Postback use cases: plan the deliveries of attributed events, find what is due, describe
each request through the plugins, record attempts. Blocking store calls: the
``PostbackSenderActor`` runs them in a thread and does the HTTP itself."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
import pluggy
from eventsourcing.persistence import IntegrityError

from tracker.application import EventStores
from tracker.domain.catalog.postbacks import Postback
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.ingest import SdkEventReceived, TouchpointRecorded
from tracker.domain.macros import PostbackFacts, device_ids, macro_values
from tracker.domain.postbacks import (
    PostbackAttempted,
    PostbackConfig,
    PostbackQueued,
    PostbackSource,
    PostbacksPlanned,
    Receiver,
    delivery_id,
    hook_partner,
    own_receiver,
    plan_id,
    receivers,
)
from tracker.plugin_types import (
    DeliveryOutcome,
    PartnerSpec,
    PostbackRequest,
    PostbackResponse,
    PostbackTemplate,
)
from tracker.projections.catalog import Catalog
from tracker.projections.outbox import ACTIVE_STATES, OutboxProjection
from tracker.stores import ViewStore, catch_up

log = logging.getLogger(__name__)


class Due(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery whose next attempt is due."""

    delivery_id: str
    attempt: int  # the number of the attempt to make now (1-based)
    first_attempt_at: datetime | None
    receiver: str
    partner_id: str | None
    postback_config_id: str | None
    app_id: str
    template: PostbackTemplate
    values: dict[str, str]

    @property
    def hook_partner_id(self) -> str | None:
        """The partner whose plugin builds and classifies it (None: an own postback)."""
        return hook_partner(self.receiver, self.partner_id)


class RequestNotBuilt(DomainError):
    """The plugins could not build a postback's request (a test-send answers 422 with why)."""

    status = 422
    code = "unprocessable"


class SampleEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A made-up event to test-send a configured postback with."""

    event_name: str | None = None
    app_id: str | None = None
    campaign_id: str | None = None
    link_code: str | None = None
    click_id: str | None = None
    device: dict[str, str] = {}
    ip: str | None = None
    ua: str | None = None
    country: str | None = None
    revenue: str | None = None  # a decimal string
    currency: str | None = None
    subids: dict[str, str] = {}
    click_params: dict[str, str] = {}
    event_params: dict[str, str] = {}


class PostbackService:
    def __init__(
        self,
        stores: EventStores,
        catalog: Catalog,
        views: ViewStore,
        plugins: pluggy.PluginManager,
        partners: dict[str, PartnerSpec],
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._clock = clock
        self._app = stores.attribution
        self._ingest = stores.ingest
        self._catalog = catalog
        self._views = views
        self._hook = plugins.hook
        self._partners = partners
        self.outbox = OutboxProjection()
        views.declare(self.outbox.name, self.outbox.tables)  # a web process only reads it

    def refresh(self) -> int:
        return catch_up(self._app, self.outbox, self._views)

    # -- planning ------------------------------------------------------------------------------

    def plan(self, now: datetime, limit: int = 200) -> int:
        """Choose the receivers of attributed events not planned yet and queue their
        postbacks, due now; return how many events were planned."""
        self.refresh()
        with self._views.read(self.outbox.name) as view:
            rows = view.table("sources").select(order_by=("ts",), limit=limit)
        if not rows:
            return 0
        mapper, recorder = self._app.mapper, self._app.recorder
        configs, sending = self._configs(), self._sending()
        plans = []
        for row in rows:
            source = msgspec.convert(row["source"], PostbackSource)
            events = self._plan_events(source, now, configs, sending)
            plans.append((source, [mapper.to_stored_event(e) for e in events]))
        try:
            # One transaction (and one commit) for the page, not one per source.
            recorder.insert_events([e for _, stored in plans for e in stored])
        except IntegrityError:
            # Another process planned some of them first: each source on its own.
            for source, stored in plans:
                try:
                    recorder.insert_events(stored)
                except IntegrityError:
                    log.debug("postbacks of %s were planned by another process", source.id)
        self.refresh()
        return len(plans)

    def _configs(self) -> list[PostbackConfig]:
        return [_config(p) for p in self._catalog.postbacks() if not p.deleted]

    def _sending(self) -> dict[str, dict[str, dict[str, str]]]:
        ids = set(self._partners) | {str(p.id) for p in self._catalog.partners()}
        return {partner_id: self._catalog.sending(partner_id) for partner_id in ids}

    def _plan_events(
        self,
        source: PostbackSource,
        now: datetime,
        configs: list[PostbackConfig],
        sending: dict[str, dict[str, dict[str, str]]],
    ) -> list[Any]:
        found = receivers(source, partners=self._partners, configs=configs, sending=sending)
        values = macro_values(self._facts(source)) if found else {}
        events: list[Any] = [
            PostbacksPlanned(
                originator_id=plan_id(source.id),
                originator_version=1,
                timestamp=now,
                source_id=source.id,
                deliveries=[str(delivery_id(source.id, r.key)) for r in found],
            )
        ]
        for receiver in found:
            events.append(self._queued(source, receiver, values, now))
        return events

    def _queued(
        self, source: PostbackSource, receiver: Receiver, values: dict[str, str], now: datetime
    ) -> PostbackQueued:
        id_ = delivery_id(source.id, receiver.key)
        # A postback without a partner filter tells the params of the partner the event is
        # attributed to.
        mine = self._with_ids_and_params(values, str(id_), receiver.partner_id or source.partner_id)
        return PostbackQueued(
            originator_id=id_,
            originator_version=1,
            timestamp=now,
            source_id=source.id,
            receiver=receiver.key,
            partner_id=receiver.partner_id,
            postback_config_id=receiver.postback_config_id,
            app_id=source.app_id,
            event_type=source.event_type,
            template=msgspec.to_builtins(receiver.template),
            values=mine,
            due_at=now,
        )

    def _with_ids_and_params(
        self, values: dict[str, str], postback_id: str, partner_id: str | None
    ) -> dict[str, str]:
        mine = dict(values)
        mine["mt_postback_id"] = postback_id
        for name, value in self._partner_params(partner_id).items():
            mine.setdefault(f"mtpp_{name}", value)
        return mine

    def _partner_params(self, partner_id: str | None) -> dict[str, str]:
        if partner_id is None:
            return {}
        if partner_id in self._partners:
            return dict(self._partners[partner_id].params)
        custom = self._catalog.partner(partner_id)
        return dict(getattr(custom, "params", None) or {})

    def _event(self, id_: str | None) -> Any | None:
        if not id_:
            return None
        try:
            records = self._ingest.recorder.select_events(UUID(id_), limit=1)
        except ValueError:
            return None
        return self._ingest.mapper.to_domain_event(records[0]) if records else None

    def _facts(self, source: PostbackSource) -> PostbackFacts:
        sdk = self._event(source.sdk_event_id)
        click = self._event(source.touchpoint_id)
        sdk = sdk if isinstance(sdk, SdkEventReceived) else None
        touch = click if isinstance(click, TouchpointRecorded) else None
        app = self._catalog.app(source.app_id)
        platform = app.platform if app is not None else None
        device = device_ids(
            platform, sdk.device if sdk else {}, touch.device if touch is not None else {}
        )
        return PostbackFacts(
            postback_id="",
            event_type=source.event_type,
            event_ts=source.ts,
            app_id=source.app_id,
            event_name=source.event_name,
            install_id=source.install_id,
            install_ts=source.install_ts,
            click_id=source.touchpoint_id,
            click_ts=source.touchpoint_ts,
            campaign_id=source.campaign_id,
            partner_id=source.partner_id,
            link_code=source.link_code,
            platform=platform,
            device=device,
            ip=sdk.ip if sdk else None,
            ua=sdk.ua if sdk else None,
            country=sdk.country if sdk else None,
            revenue=sdk.revenue if sdk else None,
            currency=sdk.currency if sdk else None,
            subids=dict(touch.subids) if touch is not None else {},
            click_params=dict(touch.params) if touch is not None else {},
            event_params=dict(sdk.params) if sdk else {},
        )

    # -- sending -------------------------------------------------------------------------------

    def due(
        self, now: datetime, limit: int, skip: set[str] | frozenset[str] = frozenset()
    ) -> list[Due]:
        """The deliveries due by ``now``, oldest first, leaving out those in ``skip``."""
        with self._views.read(self.outbox.name) as view:
            rows = view.table("deliveries").select(
                {
                    "state": ("in", ACTIVE_STATES),
                    "due_at": ("<=", now),
                    "delivery_id": ("not in", sorted(skip)),
                },
                order_by=("due_at",),
                limit=limit,
            )
        found = []
        for row in rows:
            queued = row["queued"]
            found.append(
                Due(
                    delivery_id=row["delivery_id"],
                    attempt=row["attempts"] + 1,
                    first_attempt_at=row["first_attempt_at"],
                    receiver=row["receiver"],
                    partner_id=row["partner_id"],
                    postback_config_id=row["postback_config_id"],
                    app_id=row["app_id"],
                    template=msgspec.convert(queued["template"], PostbackTemplate),
                    values=queued["values"],
                )
            )
        return found

    def partner(self, partner_id: str | None) -> PartnerSpec | None:
        return self._partners.get(partner_id) if partner_id else None

    def request_for(self, due: Due) -> PostbackRequest:
        """The request of an attempt, described by the plugins, with the secrets of now."""
        receiver = Receiver(
            key=due.receiver,
            template=due.template,
            partner_id=due.partner_id,
            postback_config_id=due.postback_config_id,
        )
        return self._request(receiver, due.app_id, due.values)

    def _request(self, receiver: Receiver, app_id: str, values: dict[str, str]) -> PostbackRequest:
        values = dict(values)
        secret = None
        if receiver.postback_config_id is not None:
            secret = self._catalog.postback_secret(receiver.postback_config_id)
        if receiver.partner_id is not None:
            settings = self._catalog.partner_settings(receiver.partner_id, app_id)
            values.update({f"setting_{k}": v for k, v in settings.items()})
        partner = self.partner(hook_partner(receiver.key, receiver.partner_id))
        return self.build(partner, receiver.template, values, secret)

    def test_request(self, postback_id: str, sample: SampleEvent) -> PostbackRequest:
        """The request a test-send of a configured postback makes now: ``sample`` happening
        at this moment, built as a delivery of the postback is (its template and secret, its
        partner's params and settings, no partner plugin). Raises NotFound, or
        RequestNotBuilt when the plugins fail to build it."""
        config = self._catalog.postback(postback_id)
        if config is None or config.deleted:
            raise NotFound("postback_id", f"no such postback: {postback_id}")
        receiver = own_receiver(_config(config))
        app_id = sample.app_id or config.app_id or ""
        app = self._catalog.app(app_id) if app_id else None
        facts = PostbackFacts(
            postback_id=f"test-{postback_id}",
            event_type=config.event,
            event_ts=self._clock(),
            app_id=app_id,
            event_name=sample.event_name or config.event_name,
            click_id=sample.click_id,
            campaign_id=sample.campaign_id or config.campaign_id,
            partner_id=config.partner_id,
            link_code=sample.link_code,
            platform=app.platform if app is not None else None,
            device=dict(sample.device),
            ip=sample.ip,
            ua=sample.ua,
            country=sample.country,
            revenue=None if sample.revenue is None else Decimal(sample.revenue),
            currency=sample.currency,
            subids=dict(sample.subids),
            click_params=dict(sample.click_params),
            event_params=dict(sample.event_params),
        )
        try:
            values = self._with_ids_and_params(
                macro_values(facts), facts.postback_id, config.partner_id
            )
            return self._request(receiver, app_id, values)
        except Exception as e:
            # A plugin's error, shown to whoever tests the postback rather than a 500.
            raise RequestNotBuilt("postback_id", f"cannot build its request: {e!r}") from e

    def build(
        self,
        partner: PartnerSpec | None,
        template: PostbackTemplate,
        values: dict[str, str],
        secret: str | None,
    ) -> PostbackRequest:
        return self._hook.tracker_build_postback(
            partner=partner, template=template, values=values, secret=secret
        )

    def classify(
        self, partner: PartnerSpec | None, request: PostbackRequest, response: PostbackResponse
    ) -> DeliveryOutcome:
        return self._hook.tracker_classify_response(
            partner=partner, request=request, response=response
        )

    def record(self, attempts: Sequence[PostbackAttempted]) -> int:
        """Store attempts in one transaction (one by one if another process recorded one of
        them first); return how many were stored."""
        if not attempts:
            return 0
        mapper, recorder = self._app.mapper, self._app.recorder
        try:
            recorder.insert_events([mapper.to_stored_event(a) for a in attempts])
            return len(attempts)
        except IntegrityError:
            stored = 0
            for a in attempts:
                try:
                    recorder.insert_events([mapper.to_stored_event(a)])
                    stored += 1
                except IntegrityError:
                    log.info("attempt %d of %s was recorded elsewhere", a.attempt, a.delivery_id)
            return stored

    # -- reads ---------------------------------------------------------------------------------

    def attempts(
        self,
        *,
        after: int = 0,
        limit: int = 100,
        postback_id: str | None = None,
        verdict: str | None = None,
        partner_id: str | None = None,
        app_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[dict[str, Any]]:
        where: dict[str, Any] = {"seq": (">", after)}
        if postback_id is not None:
            where["postback_config_id"] = postback_id
        if verdict is not None:
            where["verdict"] = verdict
        if partner_id is not None:
            where["partner_id"] = partner_id
        if app_id is not None:
            where["app_id"] = app_id
        bounds = []
        if since is not None:
            bounds.append((">=", since))
        if until is not None:
            bounds.append(("<", until))
        if bounds:
            where["at"] = bounds
        with self._views.read(self.outbox.name) as view:
            return view.table("attempts").select(where, order_by=("seq",), limit=limit)


def _config(p: Postback) -> PostbackConfig:
    """A catalog postback as the rules see it."""
    return PostbackConfig(
        id=str(p.id),
        event=p.event,
        event_name=p.event_name,
        partner_id=p.partner_id,
        campaign_id=p.campaign_id,
        app_id=p.app_id,
        mode=p.mode,
        method=p.method,
        url=p.url,
        body=p.body,
    )
