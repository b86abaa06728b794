"""Attribution routes: ``/sdk/v1/attribution``, install explanations, raw installs/attributions."""

from __future__ import annotations

from quart import Blueprint

attribution_api = Blueprint("attribution_api", __name__)
