"""The attribution scenario table, shared by the pure engine test and the actor test.

A scenario is named after its steps in order (``1i_1c_1e``: an impression, a click, an
install). Step kinds:

- ``c`` a click carrying the device's gaid; ``i`` an impression carrying it;
- ``f`` a click from the device's IP and User-Agent only (probabilistic);
- ``r`` a click named by the next install's Google Play referrer (no device id);
- ``p`` a pre-install mark (``mt_link_id``) of a preinstall campaign's link (``p~`` regular);
- ``e`` an install (``instance`` names the installation), ``l`` a launch, ``a`` a purchase.

``at`` is the time from T0. An ``e``/``l`` step expects ``(type, bucket, method, winner)``:
``winner`` is the index of the winning touchpoint's step; type ``dup`` means the same install
again (nothing decided), ``none`` a launch that decides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SEC = timedelta(seconds=1)
H = timedelta(hours=1)
D = timedelta(days=1)


@dataclass(frozen=True)
class Step:
    kind: str
    at: timedelta
    instance: str = "i1"
    link: dict[str, Any] = field(default_factory=dict)
    expect: tuple[str, str, str, int | None] | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    app: dict[str, Any] = field(default_factory=dict)
    flags: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def c(at: timedelta, **link: Any) -> Step:
    return Step("c", at, link=link)


def i(at: timedelta, **link: Any) -> Step:
    return Step("i", at, link=link)


def f(at: timedelta, **link: Any) -> Step:
    return Step("f", at, link=link)


def r(at: timedelta, **link: Any) -> Step:
    return Step("r", at, link=link)


def p(*, regular: bool = False) -> Step:
    return Step("p~" if regular else "p", timedelta(0))


def e(at: timedelta, expect: tuple, instance: str = "i1") -> Step:
    return Step("e", at, instance=instance, expect=expect)


def launch(at: timedelta, expect: tuple) -> Step:
    return Step("l", at, expect=expect)


def a(at: timedelta) -> Step:
    return Step("a", at)


ORGANIC = ("new_install", "organic", "organic", None)

SCENARIOS: list[Scenario] = [
    # the waterfall
    Scenario("1e", (e(0 * H, ORGANIC),)),
    Scenario("1c_1e", (c(-2 * H), e(0 * H, ("new_install", "click", "device_id", 0)))),
    Scenario("1i_1e", (i(-2 * H), e(0 * H, ("new_install", "impression", "device_id", 0)))),
    Scenario(
        "1i_1c_1e", (i(-3 * H), c(-2 * H), e(0 * H, ("new_install", "click", "device_id", 1)))
    ),
    Scenario(
        "1c_1i_1e click over a later impression",
        (c(-3 * H), i(-1 * H), e(0 * H, ("new_install", "click", "device_id", 0))),
    ),
    Scenario("1f_1e", (f(-2 * H), e(0 * H, ("new_install", "click", "probabilistic", 0)))),
    Scenario(
        "1c_1f_1e device id over a later probabilistic match",
        (c(-5 * H), f(-1 * H), e(0 * H, ("new_install", "click", "device_id", 0))),
    ),
    Scenario(
        "1i_1f_1e device-id impression over a probabilistic click",
        (i(-5 * H), f(-1 * H), e(0 * H, ("new_install", "impression", "device_id", 0))),
    ),
    Scenario(
        "1r_1c_1e referrer over a later click",
        (r(-5 * H), c(-1 * H), e(0 * H, ("new_install", "click", "referrer", 0))),
    ),
    Scenario(
        "1r_1c_1e referrer click outside its window falls through to the device-id click",
        (
            r(-3 * H, click_window_hours=2),
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 1)),
        ),
    ),
    Scenario(
        "1p_1r_1c_1e pre-install mark first",
        (p(), r(-5 * H), c(-1 * H), e(0 * H, ("new_install", "preinstall", "preinstall", 0))),
    ),
    Scenario(
        "1p~_1e a regular campaign's mark is passed over",
        (p(regular=True), e(0 * H, ORGANIC)),
    ),
    Scenario(
        "2c_1e the latest click wins",
        (c(-5 * H), c(-1 * H), e(0 * H, ("new_install", "click", "device_id", 1))),
    ),
    Scenario(
        "2i_1e the latest impression wins",
        (i(-5 * H), i(-1 * H), e(0 * H, ("new_install", "impression", "device_id", 1))),
    ),
    # window edges: exactly at the edge is inside, one second past is outside
    Scenario("1c_1e click at 168h", (c(-168 * H), e(0, ("new_install", "click", "device_id", 0)))),
    Scenario("1c_1e click at 168h+1s", (c(-168 * H - SEC), e(0, ORGANIC))),
    Scenario(
        "1c_1e click at the link's 1h",
        (c(-1 * H, click_window_hours=1), e(0, ("new_install", "click", "device_id", 0))),
    ),
    Scenario("1c_1e click at 1h+1s", (c(-1 * H - SEC, click_window_hours=1), e(0, ORGANIC))),
    Scenario(
        "1i_1e impression at 24h", (i(-24 * H), e(0, ("new_install", "impression", "device_id", 0)))
    ),
    Scenario("1i_1e impression at 24h+1s", (i(-24 * H - SEC), e(0, ORGANIC))),
    Scenario(
        "1f_1e fingerprint at 24h",
        (f(-24 * H), e(0, ("new_install", "click", "probabilistic", 0))),
    ),
    Scenario("1f_1e fingerprint at 24h+1s", (f(-24 * H - SEC), e(0, ORGANIC))),
    Scenario(
        "1f_1e fingerprint at the link's 2h",
        (f(-2 * H, fingerprint_window_hours=2), e(0, ("new_install", "click", "probabilistic", 0))),
    ),
    Scenario(
        "1f_1e fingerprint at 2h+1s", (f(-2 * H - SEC, fingerprint_window_hours=2), e(0, ORGANIC))
    ),
    Scenario("1r_1e referrer click at 168h+1s", (r(-168 * H - SEC), e(0, ORGANIC))),
    # click-to-install time
    Scenario(
        "1c_1e ctit 9s flagged",
        (c(-9 * SEC), e(0, ("new_install", "click", "device_id", 0))),
        flags={1: ("ctit_under_10s",)},
    ),
    Scenario(
        "1c_1e ctit 10s not flagged",
        (c(-10 * SEC), e(0, ("new_install", "click", "device_id", 0))),
        flags={1: ()},
    ),
    # the same install again
    Scenario(
        "1c_1e_1e same instance",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            e(1 * H, ("dup", "click", "device_id", 0)),
        ),
    ),
    # reinstalls
    Scenario(
        "1c_1e_1e reinstall inside the inactivity window keeps",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            e(10 * D, ("reinstall", "click", "kept", 0), instance="i2"),
        ),
    ),
    Scenario(
        "1c_1e_1e reinstall exactly at 30 days keeps",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            e(30 * D, ("reinstall", "click", "kept", 0), instance="i2"),
        ),
    ),
    Scenario(
        "1c_1e_1e reinstall at 30 days+1s goes organic",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            e(30 * D + SEC, ("reinstall", "organic", "organic", None), instance="i2"),
        ),
    ),
    Scenario(
        "1c_1e_1e reinstall outside the window, reattribution to organic off, keeps",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            e(40 * D, ("reinstall", "click", "kept", 0), instance="i2"),
        ),
        app={"reattribute_to_organic": False},
    ),
    Scenario(
        "1c_1e_1c_1e reinstall outside the window to the new click",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            c(40 * D - 2 * H),
            e(40 * D, ("reinstall", "click", "device_id", 2), instance="i2"),
        ),
    ),
    Scenario(
        "1c_1e_1c_1e reinstall outside the window to the new click, organic off",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            c(40 * D - 2 * H),
            e(40 * D, ("reinstall", "click", "device_id", 2), instance="i2"),
        ),
        app={"reattribute_to_organic": False},
    ),
    Scenario(
        "1c_1e_1c_1e reinstall inside the window keeps despite the new click",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            c(10 * D - 2 * H),
            e(10 * D, ("reinstall", "click", "kept", 0), instance="i2"),
        ),
    ),
    Scenario(
        "1c_1e_1a_1e activity restarts the inactivity window",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            a(20 * D),
            e(45 * D, ("reinstall", "click", "kept", 0), instance="i2"),
        ),
    ),
    Scenario(
        "1e_1c_1a_1e a click before the last activity does not reattribute",
        (
            e(0, ORGANIC),
            c(1 * D, click_window_hours=720),
            a(2 * D),
            e(10 * D, ("reinstall", "organic", "organic", None), instance="i2"),
        ),
        app={"inactivity_window_days": 7},
    ),
    # re-engagement
    Scenario(
        "1e_1c_1l re-engagement after inactivity",
        (
            e(0, ORGANIC),
            c(35 * D),
            launch(35 * D + H, ("reengagement", "click", "device_id", 1)),
        ),
    ),
    Scenario(
        "1c_1e_1l launch inside the window decides nothing",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            launch(29 * D, ("none", "click", "device_id", 0)),
        ),
    ),
    Scenario(
        "1c_1e_1l launch after inactivity without a touchpoint goes organic",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            launch(31 * D, ("reengagement", "organic", "organic", None)),
        ),
    ),
    Scenario(
        "1c_1e_1l launch after inactivity without a touchpoint, organic off, keeps",
        (
            c(-1 * H),
            e(0, ("new_install", "click", "device_id", 0)),
            launch(31 * D, ("reengagement", "click", "kept", 0)),
        ),
        app={"reattribute_to_organic": False},
    ),
]
