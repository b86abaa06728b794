"""The catalog: apps, partners, traffic types, campaigns, links, tariffs, corrections,
postbacks, API tokens and FX rates, as event-sourced aggregates.

Constructors and commands validate and then record an event; the decorated method bodies are
the event's ``apply`` and run again on replay, so they hold no validation and no I/O. Stored
topics stay ``tracker.domain.catalog:<qualname>`` (see ``_shared.stable_topics``).
"""

from tracker.domain.catalog.apps import App
from tracker.domain.catalog.campaigns import Campaign, Tariff
from tracker.domain.catalog.corrections import Correction
from tracker.domain.catalog.fx import FxRates
from tracker.domain.catalog.links import TrackingLink
from tracker.domain.catalog.partners import Partner, PartnerSending
from tracker.domain.catalog.postbacks import Postback
from tracker.domain.catalog.settings import AttributionSettings
from tracker.domain.catalog.tokens import ApiToken
from tracker.domain.catalog.traffic_types import TrafficType
from tracker.domain.catalog.vocabulary import (
    CAMPAIGN_STATUSES,
    CAMPAIGN_TYPES,
    CPA_TARGETS,
    LINK_STATUSES,
    PLATFORMS,
    POSTBACK_EVENTS,
    POSTBACK_METHODS,
    POSTBACK_MODES,
    SENDING_MODES,
    STANDARD_TRAFFIC_TYPES,
    SYSTEM_PARTNERS,
    TARIFF_MODELS,
    TOKEN_ROLES,
)

__all__ = [
    "CAMPAIGN_STATUSES",
    "CAMPAIGN_TYPES",
    "CPA_TARGETS",
    "LINK_STATUSES",
    "PLATFORMS",
    "POSTBACK_EVENTS",
    "POSTBACK_METHODS",
    "POSTBACK_MODES",
    "SENDING_MODES",
    "STANDARD_TRAFFIC_TYPES",
    "SYSTEM_PARTNERS",
    "TARIFF_MODELS",
    "TOKEN_ROLES",
    "ApiToken",
    "App",
    "AttributionSettings",
    "Campaign",
    "Correction",
    "FxRates",
    "Partner",
    "PartnerSending",
    "Postback",
    "Tariff",
    "TrackingLink",
    "TrafficType",
]
