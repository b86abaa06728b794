"""Mintegral as an integrated partner.

Mintegral fills ``{click_id}`` and ``{uuid}`` (its promotion id) into the tracking link; the
tracker keeps them as the click parameters ``clickid`` and ``campuuid`` and echoes them back
in the install and event postbacks Mintegral documents (plain GET requests the first-party
template renderer builds). Mintegral's sub-channel (``{affiliate_id}``) goes to ``mt_sub1``.

Sources are listed in this package's README. Imports only ``tracker``'s public API.
"""

from __future__ import annotations

from tracker import PartnerSpec, PostbackTemplate, hookimpl

PARTNER_ID = "mintegral"

# Mintegral's own pages give these endpoints with http://.
POSTBACK_HOST = "http://postback.mintegral.net"
IDENTITY = (
    "campuuid={campuuid}"
    "&clickid={clickid}"
    "&idfa={mt_idfa_uc}"
    "&gaid={mt_gaid_lc}"
    "&devid={mt_android_id}"
    "&type=s2s"
)
INSTALL_URL = f"{POSTBACK_HOST}/install?{IDENTITY}&install_time={{mt_install_ts}}"
EVENT_URL = f"{POSTBACK_HOST}/event?{IDENTITY}&event_time={{mt_event_ts}}"

EVENT_QUERIES = {
    "registration": "&event_name=registration",
    "login": "&event_name=login",
    "purchase": (
        "&event_name=purchase&event_value={mt_payment_sum_src}&currency={mt_payment_currency}"
    ),
    "custom": "&event_name={mt_event_name}",
}


def partner_spec() -> PartnerSpec:
    """The Mintegral partner: its link macros and postbacks (no per-app settings)."""
    postbacks = {"install": PostbackTemplate(url=INSTALL_URL)}
    postbacks |= {
        event: PostbackTemplate(url=EVENT_URL + query) for event, query in EVENT_QUERIES.items()
    }
    return PartnerSpec(
        id=PARTNER_ID,
        title="Mintegral",
        utm_sources=("mintegral", "mobvista"),
        macros={
            "clickid": "{click_id}",
            "campuuid": "{uuid}",
            "mt_idfa": "{idfa}",
            "mt_gaid": "{gaid}",
            "mt_sub1": "{affiliate_id}",
            "mt_campaign": "{adv_campaign_id}",
            "mt_adset": "{offer_name}",
            "mt_creative": "{creative_id}",
            "mt_ip": "{ip}",
            "mt_ua": "{ua}",
        },
        postbacks=postbacks,
        events=tuple(postbacks),
        documentation="https://adv.mintegral.com/doc/en/integration/quickStart/postback.html",
    )


@hookimpl
def tracker_register_partners() -> list[PartnerSpec]:
    return [partner_spec()]
