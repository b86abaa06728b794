"""The JSON schema's URL pattern is part of the shared URL rule: a URL the schema lets through
is never refused by ``check_url`` (so the API contract's schema-valid requests are accepted)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tracker.domain.catalog.postbacks import _check_template_url
from tracker.domain.errors import DomainError
from tracker.domain.rules import check_url
from tracker.web.schemas import TEMPLATE_URL_PATTERN, URL_PATTERN

PATTERN = re.compile(URL_PATTERN)


@given(st.from_regex(URL_PATTERN))
def test_every_url_the_schema_passes_passes_the_rule(url: str) -> None:
    assume(len(urlsplit(url).hostname or "") <= 253)  # the rule's alone
    assert check_url("url", url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com:99999/x",
        "http://example.com:0/x",
        "http://a..b/x",
        "http://" + "a" * 64 + ".example/",
        "http://1.2.3.999/",
        "http://a%20b.example/",
    ],
)
def test_urls_the_rule_refuses_the_schema_refuses(url: str) -> None:
    assert PATTERN.search(url) is None
    with pytest.raises(DomainError):
        check_url("url", url)


@pytest.mark.parametrize(
    "url",
    [
        "https://play.google.com/store/apps/details?id=com.example&hl=en",
        "http://127.0.0.1:8080/path",
        "http://example.com:65535",
        "http://user:pw@host.example/#top",
        "HTTPS://a_b.c-d.example./x",
    ],
)
def test_ordinary_urls_pass_the_schema(url: str) -> None:
    assert PATTERN.search(url) is not None


@given(st.from_regex(TEMPLATE_URL_PATTERN))
def test_every_template_the_schema_passes_passes_the_postback_rule(url: str) -> None:
    filled = re.sub(r"\{[A-Za-z0-9_]+\}", "x", url)
    assume(len(urlsplit(filled).hostname or "") <= 253)  # the domain's alone
    _check_template_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://!!!/x", "http://a..{b}/x", "http://{h}:99999/x", "http://" + "{m}" * 64 + ".ex/"],
)
def test_templates_the_rule_refuses_the_schema_refuses(url: str) -> None:
    assert re.search(TEMPLATE_URL_PATTERN, url) is None
    with pytest.raises(DomainError):
        _check_template_url(url)
