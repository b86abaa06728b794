"""TikTok for Business as an integrated partner: the Events API (2.0) for App.

Every postback is one ``POST https://business-api.tiktok.com/open_api/v1.3/event/track/``
with a JSON body and the advertiser's Events API token in the ``Access-Token`` header; a
template cannot say that body (numbers, fields left out when the tracker has no value), so
``tracker_build_postback`` builds it for this partner. It is pure: everything, the event time
included, comes from ``values``. The token goes only into the header, never into the URL.

TikTok answers HTTP 200 with ``{"code": 0, "message": "OK", ...}`` when it took the event and
with another ``code`` when it did not, so ``tracker_classify_response`` reads the body:

==================================  ===========  =============================================
TikTok's answer                     verdict      why
==================================  ===========  =============================================
2xx, ``"code": 0``                  delivered
2xx, ``"code"`` 40100 or >= 50000   retry        request rate limit; TikTok's system errors
2xx, any other ``"code"``           failed       a bad request or token: sending it again gets
                                                 the same answer
2xx, not TikTok's JSON              failed
429, 5xx                            retry
any other status                    failed
==================================  ===========  =============================================

Sources are listed in this package's README. Imports only ``tracker``'s public API.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from tracker import (
    DeliveryOutcome,
    PartnerSpec,
    PostbackRequest,
    PostbackResponse,
    PostbackTemplate,
    hookimpl,
)

PARTNER_ID = "tiktok"
EVENTS_API_URL = "https://business-api.tiktok.com/open_api/v1.3/event/track/"

# Our event type -> TikTok's standard app event; ``custom`` sends the event's own name.
TIKTOK_EVENTS = {
    "install": "InstallApp",
    "registration": "Registration",
    "login": "Login",
    "purchase": "Purchase",
}
SUPPORTED_EVENTS = (*TIKTOK_EVENTS, "custom")

RATE_LIMITED = 40100


def partner_spec() -> PartnerSpec:
    """The TikTok partner: its link macros, one POST per supported event, its settings."""
    template = PostbackTemplate(url=EVENTS_API_URL, method="POST")
    return PartnerSpec(
        id=PARTNER_ID,
        title="TikTok for Business",
        utm_sources=("tiktok", "bytedance", "tiktok_ads"),
        macros={
            "callback": "__CALLBACK_PARAM__",
            "mt_idfa": "__IDFA__",
            "mt_gaid": "__GAID__",
            "mt_campaign": "__CAMPAIGN_ID__",
            "mt_adset": "__AID__",
            "mt_creative": "__CID__",
            "mt_sub1": "__PLACEMENT__",
            "mt_ip": "__IP__",
            "mt_ua": "__UA1__",
            # TikTok calls the click URL from its servers and sends the user to the store.
            "mt_no_redirect": "1",
        },
        postbacks=dict.fromkeys(SUPPORTED_EVENTS, template),
        events=SUPPORTED_EVENTS,
        settings=("access_token", "tiktok_app_id", "store_app_id"),
        documentation="https://business-api.tiktok.com/portal/docs?id=1771101111730178",
    )


@hookimpl
def tracker_register_partners() -> list[PartnerSpec]:
    return [partner_spec()]


def event_name(values: dict[str, str]) -> str:
    """TikTok's name for the event: a standard app event, or a custom event's own name."""
    event_type = values.get("mt_event_type", "")
    if event_type in TIKTOK_EVENTS:
        return TIKTOK_EVENTS[event_type]
    return values.get("mt_event_name") or event_type or "custom"


def _number(text: str | None) -> float | None:
    """A decimal string as a JSON number, or None if it is not a finite, non-negative one."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    return float(value)


def _integer(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in (None, "", {})}


def event_body(values: dict[str, str]) -> dict[str, Any]:
    """The Events API body for one event, from the macro values alone."""
    event_type = values.get("mt_event_type", "")
    properties: dict[str, Any] = {}
    if event_type == "purchase":
        properties = _present(
            {
                "value": _number(values.get("mt_payment_sum_src")),
                "currency": values.get("mt_payment_currency"),
            }
        )
    event = _present(
        {
            "event": event_name(values),
            "event_time": _integer(values.get("mt_event_ts")),
            # The postback's own id: TikTok deduplicates a retried delivery by it.
            "event_id": values.get("mt_postback_id"),
            "user": _present(
                {
                    "idfa": values.get("mt_idfa_uc"),
                    "idfv": values.get("mt_idfv"),
                    "gaid": values.get("mt_gaid_lc"),
                    "ip": values.get("mt_ip"),
                    "user_agent": values.get("mt_ua"),
                }
            ),
            "app": _present({"app_id": values.get("setting_store_app_id")}),
            "ad": _present({"callback": values.get("callback")}),
            "properties": properties,
        }
    )
    return {
        "event_source": "app",
        "event_source_id": values.get("setting_tiktok_app_id", ""),
        "data": [event],
    }


def build_request(values: dict[str, str]) -> PostbackRequest:
    """The whole HTTP request: the token in the header, the event in the JSON body."""
    return PostbackRequest(
        method="POST",
        url=EVENTS_API_URL,
        headers={
            "Access-Token": values.get("setting_access_token", ""),
            "Content-Type": "application/json",
        },
        body=json.dumps(event_body(values), separators=(",", ":"), ensure_ascii=False),
    )


# tryfirst: this partner's request is built here, before the first-party template renderer.
@hookimpl(tryfirst=True)
def tracker_build_postback(
    partner: PartnerSpec | None,
    template: PostbackTemplate,
    values: dict[str, str],
    secret: str | None,
) -> PostbackRequest | None:
    if partner is None or partner.id != PARTNER_ID:
        return None
    return build_request(values)


def classify(response: PostbackResponse) -> DeliveryOutcome:
    """TikTok's answer to one event as a verdict (the table in the module docstring)."""
    status = response.status
    if status == 429 or 500 <= status <= 599:
        return DeliveryOutcome(verdict="retry", reason=f"HTTP {status}")
    if not 200 <= status <= 299:
        return DeliveryOutcome(verdict="failed", reason=f"HTTP {status}")
    try:
        answer = json.loads(response.body)
    except ValueError:
        answer = None
    code = answer.get("code") if isinstance(answer, dict) else None
    if not isinstance(code, int) or isinstance(code, bool):
        return DeliveryOutcome(verdict="failed", reason=f"HTTP {status} without TikTok's code")
    if code == 0:
        return DeliveryOutcome(verdict="delivered")
    message = answer.get("message")
    reason = f"TikTok code {code}" + (f": {message}" if message else "")
    if code == RATE_LIMITED or code >= 50000:
        return DeliveryOutcome(verdict="retry", reason=reason)
    return DeliveryOutcome(verdict="failed", reason=reason)


# tryfirst: TikTok's code decides before the first-party default (2xx = delivered) can.
@hookimpl(tryfirst=True)
def tracker_classify_response(
    partner: PartnerSpec | None,
    request: PostbackRequest,
    response: PostbackResponse,
) -> DeliveryOutcome | None:
    if partner is None or partner.id != PARTNER_ID:
        return None
    return classify(response)
