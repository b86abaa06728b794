"""The ASGI entry point served by hypercorn."""

from __future__ import annotations

from typing import Any

from tracker.bootstrap import Tracker
from tracker.web.app import create_app


def build_asgi(tracker: Tracker, *, roles: tuple[str, ...] = ("web", "worker")) -> Any:
    return create_app(tracker, roles=roles)


def app_from_env() -> Any:
    """For ``hypercorn tracker.web.asgi:app_from_env()``: a web-only process per worker; the
    projections and other once-only work run in ``tracker worker``."""
    from tracker.bootstrap import bootstrap
    from tracker.settings import load_settings

    return build_asgi(bootstrap(load_settings()), roles=("web",))
