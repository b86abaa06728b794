"""tracker: self-hosted, event-sourced ad attribution.

The public API for plugin authors is what this module exports; everything else is internal.
"""

import pluggy

from tracker.plugin_types import (
    DeliveryOutcome,
    PartnerSpec,
    PostbackRequest,
    PostbackResponse,
    PostbackTemplate,
)

hookimpl = pluggy.HookimplMarker("tracker")

__all__ = [
    "DeliveryOutcome",
    "PartnerSpec",
    "PostbackRequest",
    "PostbackResponse",
    "PostbackTemplate",
    "hookimpl",
]
