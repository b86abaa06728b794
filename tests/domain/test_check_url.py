"""The shared URL rule refuses what a request could not be made to: a port out of range, a host
that is not a host name (empty or overlong labels, characters no name has, not IDNA-encodable)."""

from __future__ import annotations

import pytest

from tracker.domain.errors import DomainError
from tracker.domain.rules import check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:65535/x",
        "http://example.com:1/x",
        "http://example.com:/x",  # an empty port is the scheme's
        "https://a_b.c-d.example./x",
        "http://10.0.0.1:8080/",
        "http://[2001:db8::1]:443/",
        "https://bücher.example/",
        "http://user:pw@host.example/",
        "http://x/pb",
        "http://" + ".".join(["a" * 63] * 3) + "/",
    ],
)
def test_urls_a_request_can_be_made_to_pass(url: str) -> None:
    assert check_url("url", url) == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://example.com:99999/x", "port"),
        ("http://example.com:0/x", "port"),
        ("http://example.com:http/x", "port"),
        ("http://a..b/x", "host name"),
        ("http://.example.com/", "host name"),
        ("http://" + "a" * 64 + ".example/", "host name"),
        ("http://" + ".".join(["a" * 63] * 4) + "/", "host name"),
        ("http://a%20b.example/", "host name"),
        ("http://a{b}.example/", "host name"),
        ("http://☃.example/", "host name"),
        ("http://1.2.3.999/", "IPv4"),
        ("http://127.1/", "IPv4"),
        ("http://user@/", "host"),
    ],
)
def test_urls_no_request_can_be_made_to_are_refused_naming_the_field(url: str, says: str) -> None:
    with pytest.raises(DomainError) as err:
        check_url("url", url)
    assert err.value.field == "url"
    assert says in err.value.detail
