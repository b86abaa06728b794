"""Unity Ads (Unity LevelPlay / Unity User Acquisition) as an integrated partner.

Unity fires the tracking link (``{ifa}`` and friends filled in) when a user is shown or
clicks an ad and opens the store itself, so the link must not redirect. The tracker reports
installs to Unity's install postback and in-app events to its secondary-conversion endpoint,
both plain GET requests the first-party template renderer builds. The advertising id is sent
as Unity asks: IDFA uppercase, GAID lowercase. Unity's ``gamer_id`` (its own id of the user,
required for users with Limited Ad Tracking) is kept as a click parameter and echoed back.

Sources are listed in this package's README. Imports only ``tracker``'s public API.
"""

from __future__ import annotations

from tracker import PartnerSpec, PostbackTemplate, hookimpl

PARTNER_ID = "unity_ads"

INSTALL_URL = (
    "https://postback.unityads.unity3d.com/games/{setting_game_id}/install"
    "?advertisingTrackingId={mt_idfa_upper_or_gaid_lower}"
    "&gamerId={gamer_id}"
    "&installTimeEpoch={mt_install_ts}"
)

EVENTS_URL = (
    "https://ads-secondary-conversion.unityads.unity3d.com/v1/events"
    "?gamer_id={gamer_id}"
    "&ifa={mt_idfa_uc}"
    "&aid={mt_gaid_lc}"
    "&campaign_id={campaign_id}"
    "&game_id={setting_game_id}"
    "&platform={mt_platform}"
    "&store_id={setting_store_id}"
    "&install_ts={mt_install_ts}"
    "&ts={mt_event_ts}"
    "&ip={mt_ip}"
    "&country={mt_country}"
    "&was_conversion_attributed=1"
)

# Our event type -> the query that names it to Unity. Unity's own names: registration,
# purchase (with value and currency), custom (with custom_event).
EVENT_QUERIES = {
    "registration": "&event=registration",
    "purchase": "&event=purchase&value={mt_payment_sum_src}&currency={mt_payment_currency}",
    "custom": "&event=custom&custom_event={mt_event_name}",
}


def partner_spec() -> PartnerSpec:
    """The Unity Ads partner: its link macros, postbacks and per-app settings."""
    postbacks = {"install": PostbackTemplate(url=INSTALL_URL)}
    postbacks |= {
        event: PostbackTemplate(url=EVENTS_URL + query) for event, query in EVENT_QUERIES.items()
    }
    return PartnerSpec(
        id=PARTNER_ID,
        title="Unity Ads",
        utm_sources=("unity_ads", "unityads", "unity"),
        macros={
            # {ifa} is the IDFA (uppercase) on iOS and the GAID (lowercase) on Android; Unity
            # has no token per platform, so the link carries it under both names and the
            # tracker matches the one of the app's platform.
            "mt_idfa": "{ifa}",
            "mt_gaid": "{ifa}",
            "gamer_id": "{gamer_id}",
            "campaign_id": "{campaign_id}",
            "mt_campaign": "{campaign_name}",
            "mt_creative": "{creative_pack}",
            "mt_sub1": "{source_game_id}",
            "mt_ip": "{ip}",
            "mt_ua": "{user_agent}",
            # Unity's SDK opens the store itself: the tracking link must answer, not redirect.
            "mt_no_redirect": "1",
        },
        postbacks=postbacks,
        events=tuple(postbacks),
        settings=("game_id", "store_id"),
        documentation=(
            "https://docs.unity.com/en-us/grow/acquire/partner-integration/attribution/"
            "link-parameters"
        ),
    )


@hookimpl
def tracker_register_partners() -> list[PartnerSpec]:
    return [partner_spec()]
