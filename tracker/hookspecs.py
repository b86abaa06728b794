"""Every hook a plugin can implement. Hooks are pure: they describe, actors act.

Plugins implement them with ``@tracker.hookimpl`` and are found through the ``tracker`` entry
point group (a partner package declares ``[project.entry-points.tracker]``). Hooks are always
called with keyword arguments. A hook gets everything it needs as arguments and returns a
description; it does no I/O and reads no clock.
"""

from __future__ import annotations

import pluggy

from tracker.plugin_types import (
    DeliveryOutcome,
    PartnerSpec,
    PostbackRequest,
    PostbackResponse,
    PostbackTemplate,
)

hookspec = pluggy.HookspecMarker("tracker")


@hookspec
def tracker_register_partners() -> list[PartnerSpec]:
    """Return the partners this plugin brings.

    Each :class:`tracker.PartnerSpec` names an integrated (or system) partner: its stable id,
    title, kind, utm_source values, the macro mapping that rewrites link templates shown to
    it (``{"mt_idfa": "%%IDFA%%"}``), its postback template per event type, the events it
    supports and the per-app settings it needs. Called once when the plugin manager is
    built; ids must be unique across all plugins.
    """


@hookspec(firstresult=True)
def tracker_build_postback(
    partner: PartnerSpec | None,
    template: PostbackTemplate,
    values: dict[str, str],
    secret: str | None,
) -> PostbackRequest | None:
    """Build the HTTP request of one postback, or return None to leave it to another plugin.

    ``partner`` is the integrated partner the postback goes to, or None for an advertiser's
    own postback (a webhook configured through the API). ``template`` is what to render;
    ``values`` maps every macro that has a value to its raw string (docs/macros.md),
    ``mt_postback_id`` included, plus ``setting_<name>`` for the partner's per-app settings;
    ``secret`` is the postback's signing secret, if any. The first plugin that returns a
    request wins; the first-party ``plugins.template_postbacks`` renders the template and,
    with a secret, signs it with an HMAC header, so a partner implements this hook only for
    a request a template cannot say.
    """


@hookspec(firstresult=True)
def tracker_classify_response(
    partner: PartnerSpec | None,
    request: PostbackRequest,
    response: PostbackResponse,
) -> DeliveryOutcome | None:
    """Say whether the receiver's answer means delivered, retry later, or failed for good.

    Called after every attempt that got an HTTP answer (a timeout or a network error is
    always retried without asking). The first plugin that returns an outcome wins; the
    first-party default says 2xx delivered, 429 and 5xx retry, any other status failed. A
    partner whose API answers 200 with an error in the body (TUNE's ``success=false;``)
    implements it for its own ``partner.id`` and returns None for every other partner.
    """
