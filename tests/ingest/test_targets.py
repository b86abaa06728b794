from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

from tracker.ingest.targets import (
    choose_target,
    is_google_play,
    location_header,
    merge_play_referrer,
    platform_of,
    with_play_referrer,
)

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)
DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)


def test_platform_of():
    assert platform_of(IPHONE) == "ios"
    assert platform_of(ANDROID) == "android"
    assert platform_of(DESKTOP) == "web"
    assert platform_of("curl/8.5") is None
    assert platform_of("") is None
    assert platform_of(None) is None


def _smart(**targets):
    return SimpleNamespace(kind="smart", targets=targets, target_url=None)


def test_smart_link_routes_by_platform():
    link = _smart(
        ios="https://apps.apple.com/app/id1",
        android="https://play.google.com/store/apps/details?id=a",
        web="https://example.com/web",
        fallback="https://example.com/fallback",
    )
    assert choose_target(link, None, "ios") == "https://apps.apple.com/app/id1"
    assert choose_target(link, None, "android").startswith("https://play.google.com/")
    assert choose_target(link, None, "web") == "https://example.com/web"
    assert choose_target(link, None, None) == "https://example.com/fallback"


def test_smart_link_platform_without_target_gets_fallback():
    link = _smart(android="https://play.google.com/x", fallback="https://example.com/fb")
    assert choose_target(link, None, "ios") == "https://example.com/fb"
    assert choose_target(link, None, "web") == "https://example.com/fb"


def test_traffic_redirection_overrides_the_link():
    link = SimpleNamespace(kind="regular", targets=None, target_url="https://a.example/")
    app = SimpleNamespace(redirect_url="https://elsewhere.example/")
    assert choose_target(link, app, "ios") == "https://elsewhere.example/"
    assert choose_target(link, SimpleNamespace(redirect_url=None), "ios") == "https://a.example/"


def test_google_play_referrer_added():
    url = "https://play.google.com/store/apps/details?id=com.example"
    assert is_google_play(url) and is_google_play("market://details?id=x")
    assert not is_google_play("https://apps.apple.com/app/id1")
    merged = with_play_referrer(url, "abc-123")
    assert merged == url + "&referrer=mt_click_id%3Dabc-123"


def test_google_play_referrer_merged_with_existing():
    url = "https://play.google.com/store/apps/details?id=com.x&referrer=utm_source%3Dfb%26k%3Dv"
    merged = with_play_referrer(url, "id-1")
    query = parse_qs(urlsplit(merged).query)
    assert query["id"] == ["com.x"]
    assert parse_qs(query["referrer"][0]) == {
        "utm_source": ["fb"],
        "k": ["v"],
        "mt_click_id": ["id-1"],
    }
    # The cached template gives the same answer as the direct merge.
    assert merged == merge_play_referrer(url, "id-1")
    assert with_play_referrer(url, "id-2") == merge_play_referrer(url, "id-2")


def test_location_header_is_ascii():
    assert location_header("https://example.com/a?b=c") == b"https://example.com/a?b=c"
    assert location_header("https://example.com/путь?q=ü") == (
        b"https://example.com/%D0%BF%D1%83%D1%82%D1%8C?q=%C3%BC"
    )
