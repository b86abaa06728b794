"""Where a click goes: the UA's platform, smart-link targets, traffic redirection, and the
Google Play referrer that carries the click id back through the store."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ua_parser import parse_os

_IOS = frozenset({"iOS", "iPadOS"})
_ANDROID = frozenset({"Android", "HarmonyOS"})
# Desktop systems get a smart link's web target; anything else unknown gets the fallback.
_WEB = frozenset({"Windows", "Mac OS X", "macOS", "Linux", "Ubuntu", "Fedora", "Chrome OS"})
_CACHE_SIZE = 4096
_platform_cache: dict[str, str | None] = {}


def platform_of(ua: str | None) -> str | None:
    """``android``, ``ios``, ``web`` (a desktop system) or None (unknown, bots, empty)."""
    if not ua:
        return None
    try:
        return _platform_cache[ua]
    except KeyError:
        pass
    os = parse_os(ua)
    family = os.family if os is not None else None
    if family in _IOS:
        platform: str | None = "ios"
    elif family in _ANDROID:
        platform = "android"
    elif family in _WEB:
        platform = "web"
    else:
        platform = None
    if len(_platform_cache) >= _CACHE_SIZE:
        _platform_cache.clear()
    _platform_cache[ua] = platform
    return platform


def choose_target(link: Any, app: Any | None, platform: str | None) -> str:
    """The URL a click on ``link`` goes to. An app in traffic redirection sends all of its
    links' clicks to its redirect URL; a smart link picks by platform, else its fallback."""
    if app is not None and app.redirect_url:
        return app.redirect_url
    if link.kind == "smart":
        targets = link.targets or {}
        return (platform and targets.get(platform)) or targets["fallback"]
    return link.target_url


_play_targets: dict[str, bool] = {}


def is_google_play(url: str) -> bool:
    try:
        return _play_targets[url]
    except KeyError:
        pass
    if url.startswith("market://"):
        play = True
    else:
        try:
            play = urlsplit(url).hostname == "play.google.com"
        except ValueError:
            play = False
    if len(_play_targets) >= _CACHE_SIZE:
        _play_targets.clear()
    _play_targets[url] = play
    return play


_SENTINEL = "0mtclickid0"
_play_templates: dict[str, tuple[str, str]] = {}


def with_play_referrer(url: str, click_id: str) -> str:
    """``merge_play_referrer`` for a hot path: the merged URL is computed once per target with
    a placeholder id, then the click id is spliced in."""
    try:
        head, tail = _play_templates[url]
    except KeyError:
        head, _, tail = merge_play_referrer(url, _SENTINEL).partition(_SENTINEL)
        if len(_play_templates) >= _CACHE_SIZE:
            _play_templates.clear()
        _play_templates[url] = head, tail
    return head + click_id + tail


def merge_play_referrer(url: str, click_id: str) -> str:
    """Add ``mt_click_id=<id>`` to the Google Play target's ``referrer`` parameter, keeping
    whatever referrer the target already had: ``referrer=utm_source%3Dx%26mt_click_id%3D...``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    merged: list[tuple[str, str]] = []
    found = False
    for name, value in query:
        if name == "referrer" and not found:
            found = True
            inner = [(k, v) for k, v in parse_qsl(value, keep_blank_values=True)]
            inner = [(k, v) for k, v in inner if k != "mt_click_id"]
            inner.append(("mt_click_id", click_id))
            value = urlencode(inner)
        merged.append((name, value))
    if not found:
        merged.append(("referrer", f"mt_click_id={click_id}"))
    return urlunsplit(parts._replace(query=urlencode(merged, quote_via=quote)))


def location_header(url: str) -> bytes:
    """A Location value that is valid on the wire even when the target holds non-ASCII."""
    try:
        return url.encode("ascii")
    except UnicodeEncodeError:
        return quote(url, safe=":/?#[]@!$&'()*+,;=%~").encode("ascii")
