"""The first-party postback plugin: a template rendered with the macro engine, an HMAC
signature for postbacks with a secret, and the default reading of an answer; called through
the hooks as the postback sender calls them."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from plugins.template_postbacks import POSTBACK_ID_HEADER, SIGNATURE_HEADER
from tracker import (
    DeliveryOutcome,
    PartnerSpec,
    PostbackRequest,
    PostbackResponse,
    PostbackTemplate,
    hookimpl,
)
from tracker.plugin_manager import build_plugin_manager

VALUES = {"mt_postback_id": "pb-1", "clickId": "a b&c", "mt_event_name": 'say "hi"'}


def _build(template: PostbackTemplate, secret: str | None = None, *plugins: object):
    pm = build_plugin_manager(*plugins, load_entry_points=False)
    return pm.hook.tracker_build_postback(
        partner=None, template=template, values=VALUES, secret=secret
    )


def test_tracker_build_postback_renders_a_get_template_with_encoded_values():
    request = _build(PostbackTemplate(url="https://r.example/i?c={clickId}&id={mt_postback_id}"))
    assert request.method == "GET"
    assert request.url == "https://r.example/i?c=a%20b%26c&id=pb-1"
    assert request.body is None
    assert request.headers == {POSTBACK_ID_HEADER: "pb-1"}


def test_a_post_body_is_json_escaped_and_typed():
    template = PostbackTemplate(
        url="https://r.example/e", method="POST", body='{"name": "{mt_event_name}"}'
    )
    request = _build(template)
    assert request.body == '{"name": "say \\"hi\\""}'
    assert request.headers["Content-Type"] == "application/json"


def test_a_postback_with_a_secret_is_signed_over_method_url_and_body():
    template = PostbackTemplate(url="https://r.example/e", method="POST", body="{clickId}")
    request = _build(template, "s3cret")
    message = f"POST\n{request.url}\n{request.body}".encode()
    expected = "sha256=" + hmac.new(b"s3cret", message, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] == expected
    assert SIGNATURE_HEADER not in _build(template).headers


def test_a_partner_plugin_that_builds_its_own_request_wins():
    class Own:
        @hookimpl
        def tracker_build_postback(self, partner, template, values, secret):
            return PostbackRequest(method="GET", url="https://own.example/")

    assert _build(PostbackTemplate(url="https://x.example/"), None, Own()).url == (
        "https://own.example/"
    )


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, "delivered"),
        (204, "delivered"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (400, "failed"),
        (404, "failed"),
        (301, "failed"),
    ],
)
def test_tracker_classify_response_by_status(status, verdict):
    pm = build_plugin_manager(load_entry_points=False)
    outcome = pm.hook.tracker_classify_response(
        partner=None,
        request=PostbackRequest(method="GET", url="https://r.example/"),
        response=PostbackResponse(status=status),
    )
    assert outcome.verdict == verdict


def test_a_partner_classifies_its_own_answers_only():
    class Picky:
        @hookimpl
        def tracker_classify_response(self, partner, request, response):
            if partner is None or partner.id != "picky":
                return None
            ok = "success=true;" in response.body
            return DeliveryOutcome(verdict="delivered" if ok else "failed", reason="body")

    pm = build_plugin_manager(Picky(), load_entry_points=False)
    picky = PartnerSpec(id="picky", title="Picky")
    request = PostbackRequest(method="GET", url="https://r.example/")
    answer = PostbackResponse(status=200, body="success=false;")
    mine = pm.hook.tracker_classify_response(partner=picky, request=request, response=answer)
    theirs = pm.hook.tracker_classify_response(partner=None, request=request, response=answer)
    assert (mine.verdict, theirs.verdict) == ("failed", "delivered")
