"""Campaigns and their tariffs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from eventsourcing.domain import Aggregate, event

from tracker.domain.catalog._shared import _choice, _given, _record_changes, _title, stable_topics
from tracker.domain.catalog.vocabulary import (
    CAMPAIGN_STATUSES,
    CAMPAIGN_TYPES,
    CPA_TARGETS,
    TARIFF_MODELS,
)
from tracker.domain.errors import Conflict, DomainError, NotFound
from tracker.domain.rules import check_currency, check_date_range, parse_money


class Tariff(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    model: str
    currency: str
    starts_on: date
    ends_on: date | None = None
    target: str | None = None
    event_name: str | None = None
    rate: Decimal | None = None
    percent: Decimal | None = None

    @classmethod
    def validated(cls, **fields: Any) -> Tariff:
        model = _choice("model", fields.get("model"), TARIFF_MODELS)
        check_currency("currency", fields.get("currency"))
        check_date_range("starts_on", fields["starts_on"], "ends_on", fields.get("ends_on"))
        if model == "cpa":
            target = _choice("target", fields.get("target"), CPA_TARGETS)
            if target == "custom_event" and not fields.get("event_name"):
                raise DomainError("event_name", "required for a custom_event target")
        else:
            fields["target"] = None
        if fields.get("target") != "custom_event":
            fields["event_name"] = None
        if model in ("cpa", "cpc", "cpm"):
            if fields.get("rate") is None:
                raise DomainError("rate", f"required for a {model} tariff")
            fields["rate"] = parse_money("rate", fields["rate"])
            fields["percent"] = None
        elif model == "revshare":
            if fields.get("percent") is None:
                raise DomainError("percent", "required for a revshare tariff")
            fields["percent"] = parse_money("percent", fields["percent"])
            if fields["percent"] > 100:
                raise DomainError("percent", "must be at most 100")
            fields["rate"] = None
        return cls(**fields)


def _charged(tariff: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """What a tariff charges for: its model and target, and the event of a custom_event."""
    target = tariff.get("target")
    return tariff["model"], target, tariff.get("event_name") if target == "custom_event" else None


@stable_topics
class Campaign(Aggregate):
    @event("Created")
    def __init__(
        self,
        title: str,
        campaign_type: str,
        traffic_type: str,
        partner_id: str | None,
    ) -> None:
        self.title = title
        self.campaign_type = campaign_type
        self.traffic_type = traffic_type
        self.partner_id = partner_id
        self.status = "active"
        self.tariffs: list[dict[str, Any]] = []

    @classmethod
    def create(
        cls, *, title: str, campaign_type: str, traffic_type: str, partner_id: str | None
    ) -> Campaign:
        _choice("campaign_type", campaign_type, CAMPAIGN_TYPES)
        return cls(
            title=_title(title),
            campaign_type=campaign_type,
            traffic_type=traffic_type,
            partner_id=partner_id,
        )

    def update(
        self,
        *,
        title: str | None = None,
        traffic_type: str | None = None,
        partner_id: str | None = None,
        status: str | None = None,
    ) -> None:
        """The campaign type is fixed at creation (preinstall attribution depends on it)."""
        clean = _given(title=title, traffic_type=traffic_type, partner_id=partner_id, status=status)
        if "status" in clean:
            _choice("status", clean["status"], CAMPAIGN_STATUSES)
        _record_changes(self, clean)

    @event("Updated")
    def _updated(self, changes: dict[str, Any]) -> None:
        self.__dict__.update(changes)

    def add_tariff(self, tariff: Tariff) -> None:
        self._refuse_overlap(msgspec.structs.asdict(tariff))
        self._tariff_added(tariff=msgspec.structs.asdict(tariff))

    def _refuse_overlap(self, tariff: dict[str, Any]) -> None:
        """Two tariffs of one model and target must not charge the same day twice."""
        same = _charged(tariff)
        for other in self.tariffs:
            if other["id"] == tariff["id"] or _charged(other) != same:
                continue
            if _overlap(tariff, other):
                raise Conflict(
                    "starts_on",
                    f"overlaps tariff {other['id']} ({other['model']}"
                    + (f", {other['target']}" if other.get("target") else "")
                    + f") from {other['starts_on']}"
                    + (f" to {other['ends_on']}" if other.get("ends_on") else ", open-ended"),
                )

    @event("TariffAdded")
    def _tariff_added(self, tariff: dict[str, Any]) -> None:
        self.tariffs = [*self.tariffs, tariff]

    def end_tariff(self, tariff_id: str, ends_on: date) -> dict[str, Any]:
        """Set the last day (inclusive) a tariff applies; its rate and start stay as they
        were, so cost already reported for earlier days does not change."""
        tariff = self._tariff(tariff_id)
        check_date_range("starts_on", tariff["starts_on"], "ends_on", ends_on)
        self._refuse_overlap({**tariff, "ends_on": ends_on})
        self._tariff_ended(tariff_id=tariff_id, ends_on=ends_on)
        return self._tariff(tariff_id)

    def _tariff(self, tariff_id: str) -> dict[str, Any]:
        for tariff in self.tariffs:
            if tariff["id"] == tariff_id:
                return tariff
        raise NotFound("tariff_id", f"no such tariff on this campaign: {tariff_id}")

    @event("TariffEnded")
    def _tariff_ended(self, tariff_id: str, ends_on: date) -> None:
        self.tariffs = [
            {**t, "ends_on": ends_on} if t["id"] == tariff_id else t for t in self.tariffs
        ]


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def bounds(t: dict[str, Any]) -> tuple[date, date]:
        return _as_date(t["starts_on"]), _as_date(t["ends_on"]) if t.get("ends_on") else date.max

    (a_start, a_end), (b_start, b_end) = bounds(a), bounds(b)
    return a_start <= b_end and b_start <= a_end


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
