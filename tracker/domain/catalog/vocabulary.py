"""The catalog's closed vocabularies: each list once, as a ``Literal`` type for request schemas
and as the tuple of its values for the domain's checks."""

from __future__ import annotations

from typing import Literal, get_args

Platform = Literal["android", "ios", "web"]
CampaignType = Literal["regular", "preinstall"]
CampaignStatus = Literal["active", "paused", "archived"]
LinkStatus = Literal["active", "archived"]
TariffModel = Literal["cpa", "cpc", "cpm", "revshare", "other"]
CpaTarget = Literal["install", "reinstall", "reengagement", "first_payment", "custom_event"]
PostbackEvent = Literal[
    "install",
    "reinstall",
    "reengagement",
    "registration",
    "login",
    "purchase",
    "first_payment",
    "custom",
]
PostbackMode = Literal["attributed", "all"]
PostbackMethod = Literal["GET", "POST"]
SendingMode = Literal["off", "attributed", "all"]
TokenRole = Literal["admin", "viewer", "partner"]

PLATFORMS: tuple[str, ...] = get_args(Platform)
CAMPAIGN_TYPES: tuple[str, ...] = get_args(CampaignType)
CAMPAIGN_STATUSES: tuple[str, ...] = get_args(CampaignStatus)
LINK_STATUSES: tuple[str, ...] = get_args(LinkStatus)
TARIFF_MODELS: tuple[str, ...] = get_args(TariffModel)
CPA_TARGETS: tuple[str, ...] = get_args(CpaTarget)
POSTBACK_EVENTS: tuple[str, ...] = get_args(PostbackEvent)
POSTBACK_MODES: tuple[str, ...] = get_args(PostbackMode)
POSTBACK_METHODS: tuple[str, ...] = get_args(PostbackMethod)
SENDING_MODES: tuple[str, ...] = get_args(SendingMode)
TOKEN_ROLES: tuple[str, ...] = get_args(TokenRole)

STANDARD_TRAFFIC_TYPES = (
    "media",
    "search",
    "social",
    "incentive",
    "email",
    "preinstall",
    "influencer",
    "retargeting",
)
SYSTEM_PARTNERS = ("organic", "no_partner")
