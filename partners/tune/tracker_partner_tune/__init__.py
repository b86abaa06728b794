"""TUNE (HasOffers) as an integrated partner.

A TUNE network puts ``{transaction_id}`` (its click id) into the tracker's link; the
tracker keeps it as the click parameter ``transaction_id`` and sends it back to the network's
``<network_id>.go2cloud.org`` postback (``aff_lsr`` for the install, ``aff_goal`` for a
purchase goal), plain GET requests the first-party template renderer builds.

TUNE answers a postback with HTTP 200 either way and says in the body whether it recorded the
conversion: ``success=true;`` or ``success=false; err_msg=...;``. ``tracker_classify_response``
reads that body for this partner only:

=====================================  ===========  ==========================================
TUNE's answer                          verdict      why
=====================================  ===========  ==========================================
2xx, ``success=true;``                 delivered
2xx, ``success=false; err_msg=...;``   failed       TUNE refused the conversion (invalid or
                                                    expired transaction id, duplicate, ...);
                                                    sending it again gets the same answer
2xx, no ``success=`` in the body       failed       not TUNE's postback answer (a wrong host
                                                    or vanity domain); a retry cannot fix it
429, 5xx                               retry        TUNE is busy or down
any other status                       failed
=====================================  ===========  ==========================================

Sources are listed in this package's README. Imports only ``tracker``'s public API.
"""

from __future__ import annotations

from tracker import (
    DeliveryOutcome,
    PartnerSpec,
    PostbackRequest,
    PostbackResponse,
    PostbackTemplate,
    hookimpl,
)

PARTNER_ID = "tune"

NETWORK = "https://{setting_network_id}.go2cloud.org"
INSTALL_URL = f"{NETWORK}/aff_lsr?transaction_id={{transaction_id}}"
PURCHASE_URL = (
    f"{NETWORK}/aff_goal?a=lsr&goal_id={{setting_purchase_goal_id}}"
    "&transaction_id={transaction_id}"
    "&amount={mt_payment_sum_src}"
    "&currency={mt_payment_currency}"
)


def partner_spec() -> PartnerSpec:
    """The TUNE partner: its link macros, postbacks and per-app settings."""
    return PartnerSpec(
        id=PARTNER_ID,
        title="TUNE (HasOffers)",
        utm_sources=("tune", "hasoffers"),
        macros={
            "transaction_id": "{transaction_id}",
            "mt_idfa": "{ios_ifa}",
            "mt_gaid": "{google_aid}",
            "mt_network": "{affiliate_id}",
            "mt_campaign": "{offer_id}",
            "mt_medium": "{source}",
            "mt_sub1": "{aff_sub}",
            "mt_sub2": "{aff_sub2}",
            "mt_sub3": "{aff_sub3}",
            "mt_sub4": "{aff_sub4}",
            "mt_sub5": "{aff_sub5}",
        },
        postbacks={
            "install": PostbackTemplate(url=INSTALL_URL),
            "purchase": PostbackTemplate(url=PURCHASE_URL),
        },
        settings=("network_id", "purchase_goal_id"),
        documentation=(
            "https://support.tune.com/hc/en-us/articles/"
            "4413247665431-Receiving-Conversions-via-Postback-URL"
        ),
    )


@hookimpl
def tracker_register_partners() -> list[PartnerSpec]:
    return [partner_spec()]


def tune_fields(body: str) -> dict[str, str]:
    """``success=false; err_msg=Invalid Trans. ID #1027c.;`` -> ``{"success": "false",
    "err_msg": "Invalid Trans. ID #1027c."}``: TUNE's ``key=value;`` answer, keys
    lowercased, values stripped."""
    fields: dict[str, str] = {}
    for piece in body.split(";"):
        key, sep, value = piece.partition("=")
        if sep:
            fields.setdefault(key.strip().lower(), value.strip())
    return fields


def classify(response: PostbackResponse) -> DeliveryOutcome:
    """TUNE's answer to one postback as a verdict (the table in the module docstring)."""
    status = response.status
    if status == 429 or 500 <= status <= 599:
        return DeliveryOutcome(verdict="retry", reason=f"HTTP {status}")
    if not 200 <= status <= 299:
        return DeliveryOutcome(verdict="failed", reason=f"HTTP {status}")
    fields = tune_fields(response.body)
    success = fields.get("success", "").lower()
    if success == "true":
        return DeliveryOutcome(verdict="delivered")
    if success == "false":
        why = fields.get("err_msg") or "no err_msg"
        return DeliveryOutcome(verdict="failed", reason=f"TUNE refused it: {why}")
    return DeliveryOutcome(verdict="failed", reason=f"HTTP {status} without success= in the body")


# tryfirst: TUNE's body decides before the first-party default (2xx = delivered) can.
@hookimpl(tryfirst=True)
def tracker_classify_response(
    partner: PartnerSpec | None,
    request: PostbackRequest,
    response: PostbackResponse,
) -> DeliveryOutcome | None:
    if partner is None or partner.id != PARTNER_ID:
        return None
    return classify(response)
