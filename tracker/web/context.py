"""What a handler reaches the tracker through: the services of the process serving it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quart import current_app

if TYPE_CHECKING:
    from tracker.bootstrap import Tracker, WebServices


def services() -> WebServices:
    return current_app.config["SERVICES"]


def tracker() -> Tracker:
    return current_app.config["SERVICES"].tracker
