"""The default postback request: a template rendered with the macro engine, signed with an
HMAC header when the postback has a secret; and the default reading of an answer."""

from __future__ import annotations

import hashlib
import hmac

from tracker import (
    DeliveryOutcome,
    PartnerSpec,
    PostbackRequest,
    PostbackResponse,
    PostbackTemplate,
    hookimpl,
    render_template,
)

SIGNATURE_HEADER = "X-Tracker-Signature"
POSTBACK_ID_HEADER = "X-Tracker-Postback-Id"


def signature(secret: str, request: PostbackRequest) -> str:
    """``sha256=<hex>`` of the method, URL and body, one per line: what a receiver checks."""
    message = f"{request.method}\n{request.url}\n{request.body or ''}".encode()
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@hookimpl(trylast=True)
def tracker_build_postback(
    partner: PartnerSpec | None,
    template: PostbackTemplate,
    values: dict[str, str],
    secret: str | None,
) -> PostbackRequest:
    headers = {
        name: render_template(v, values, encoding="none") for name, v in template.headers.items()
    }
    body = None
    if template.method == "POST" and template.body is not None:
        body = render_template(template.body, values, encoding=template.body_encoding)
        headers.setdefault("Content-Type", template.content_type)
    if "mt_postback_id" in values:
        headers[POSTBACK_ID_HEADER] = values["mt_postback_id"]
    request = PostbackRequest(
        method=template.method,
        url=render_template(template.url, values, encoding="url"),
        headers=headers,
        body=body,
    )
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, request)
    return request


@hookimpl(trylast=True)
def tracker_classify_response(
    partner: PartnerSpec | None,
    request: PostbackRequest,
    response: PostbackResponse,
) -> DeliveryOutcome:
    status = response.status
    if 200 <= status < 300:
        return DeliveryOutcome(verdict="delivered", reason=f"HTTP {status}")
    if status == 429 or status >= 500:
        return DeliveryOutcome(verdict="retry", reason=f"HTTP {status}")
    return DeliveryOutcome(verdict="failed", reason=f"HTTP {status}: not retried")
