"""Country of an IP address, from geoip2fast's bundled data."""

from __future__ import annotations

import pytest

from tracker.ingest.geo import country_lookup


@pytest.mark.parametrize(
    ("ip", "country"),
    [
        ("8.8.8.8", "US"),
        ("77.88.55.60", "RU"),
        ("2001:4860:4860::8888", "US"),
        ("2a02:6b8::2:242", "RU"),
        ("10.1.2.3", None),  # private
        ("192.168.0.1", None),
        ("127.0.0.1", None),
        ("::1", None),
        ("203.0.113.7", None),  # documentation range
        ("not an ip", None),
        ("", None),
        (None, None),
    ],
)
def test_country_of_an_address(ip: str | None, country: str | None) -> None:
    assert country_lookup()(ip) == country


def test_the_data_is_loaded_once_per_process() -> None:
    assert country_lookup() is country_lookup()
