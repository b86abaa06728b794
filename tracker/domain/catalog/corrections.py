"""Cost corrections: an amount added to a campaign's cost over a range of days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eventsourcing.domain import Aggregate, event

from tracker.domain.catalog._shared import stable_topics
from tracker.domain.errors import DomainError
from tracker.domain.rules import check_currency, check_date_range, check_timezone, parse_amount


@stable_topics
class Correction(Aggregate):
    @event("Created")
    def __init__(
        self,
        campaign_id: str,
        app_id: str,
        amount: Decimal,
        currency: str,
        starts_on: date,
        ends_on: date,
        timezone: str,
        description: str,
    ) -> None:
        self.campaign_id = campaign_id
        self.app_id = app_id
        self.amount = amount
        self.currency = currency
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.timezone = timezone
        self.description = description
        self.deleted = False

    @classmethod
    def create(
        cls,
        *,
        campaign_id: str,
        app_id: str,
        amount: str | Decimal,
        currency: str,
        starts_on: date,
        ends_on: date,
        timezone: str,
        description: str,
    ) -> Correction:
        value = parse_amount("amount", amount)
        check_currency("currency", currency)
        check_date_range("starts_on", starts_on, "ends_on", ends_on)
        check_timezone("timezone", timezone)
        return cls(
            campaign_id=campaign_id,
            app_id=app_id,
            amount=value,
            currency=currency,
            starts_on=starts_on,
            ends_on=ends_on,
            timezone=timezone,
            description=description,
        )

    def delete(self) -> None:
        if self.deleted:
            raise DomainError("correction_id", "the correction is already deleted")
        self._deleted()

    @event("Deleted")
    def _deleted(self) -> None:
        self.deleted = True
