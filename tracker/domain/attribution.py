"""The attribution engine: pure rules that turn an install (or a launch) and the touchpoints
looked up for it into one decision.

Nothing here reads a store or a clock: the caller looks the candidates up from the touchpoint
index and passes the install time. The waterfall, highest first:

1. ``preinstall``: ``mt_link_id=<code>`` in the install referrer or the preinstall parameters,
   for a link of a ``preinstall`` campaign (no time, so no window);
2. ``referrer``: the click named by the Google Play referrer's ``mt_click_id`` (it wins over any
   later click), within its link's click window;
3. ``device_id``: clicks carrying one of the device's ids, within the click window;
4. ``device_id`` impressions, within the view window;
5. ``probabilistic``: clicks from the same IP and normalised User-Agent, within the link's
   fingerprint window (24 hours at most);
6. else ``organic``.

Within one method the latest touchpoint wins. Windows come from each touchpoint's link (frozen at
its creation) and count back from the install time. The edge is inclusive: a touchpoint exactly
``window`` before the install is inside, one second older is outside.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal
from urllib.parse import parse_qs, unquote
from uuid import UUID

import msgspec

from tracker.domain.catalog import AttributionSettings
from tracker.domain.ingest import DEVICE_ID_FIELDS

MAX_FINGERPRINT_HOURS = 24
MAX_CLICK_WINDOW_HOURS = 720
MAX_VIEW_WINDOW_HOURS = 168
CTIT_SUSPICIOUS_SECONDS = 10

Bucket = Literal["click", "impression", "preinstall", "organic"]
Method = Literal["preinstall", "referrer", "device_id", "probabilistic", "organic", "kept"]
DecisionType = Literal["new_install", "reinstall", "reengagement", "none"]


class Touchpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A candidate as looked up, with what its link and campaign say about it."""

    id: str
    kind: Literal["click", "impression", "preinstall"]
    ts: datetime | None
    link_code: str
    campaign_id: str
    partner_id: str | None = None
    campaign_type: str = "regular"
    app_id: str | None = None
    platform: str | None = None
    matched_by: str = ""
    settings: AttributionSettings = AttributionSettings()
    deep_link: str | None = None
    # The click's SubIDs, country and CPI cost ({"amount", "currency"} per install), for the
    # reports of the conversions it wins.
    subids: dict[str, str] = msgspec.field(default_factory=dict)
    country: str | None = None
    cost: dict[str, str] | None = None


class PassedOver(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    method: str
    reason: str
    link_code: str | None = None
    ts: datetime | None = None


class Candidates(msgspec.Struct, frozen=True, kw_only=True):
    preinstall: tuple[Touchpoint, ...] = ()
    referrer: Touchpoint | None = None
    clicks: tuple[Touchpoint, ...] = ()
    impressions: tuple[Touchpoint, ...] = ()
    fingerprint: tuple[Touchpoint, ...] = ()
    unresolved: tuple[PassedOver, ...] = ()
    flags: tuple[str, ...] = ()


class Attribution(msgspec.Struct, frozen=True, kw_only=True):
    """A device's current attribution, as the SDK and in-app events see it."""

    type: Bucket
    method: Method
    campaign_id: str | None = None
    link_code: str | None = None
    partner_id: str | None = None
    click_id: str | None = None
    touchpoint_id: str | None = None
    touchpoint_ts: datetime | None = None
    decision_id: str | None = None
    install_id: str | None = None
    deep_link: str | None = None

    def answer(self) -> dict[str, str | None]:
        """The ``attribution`` object of the SDK answer (docs/attribution.md)."""
        return {
            "type": self.type,
            "method": self.method,
            "campaign_id": self.campaign_id,
            "link_code": self.link_code,
            "partner_id": self.partner_id,
            "click_id": self.click_id,
        }


ORGANIC = Attribution(type="organic", method="organic")


class Trigger(msgspec.Struct, frozen=True, kw_only=True):
    """The SDK event that asks for a decision."""

    id: str
    type: str
    ts: datetime
    app_id: str
    platform: str | None = None
    new_instance: bool = True
    country: str | None = None  # of the SDK event, by its IP


class Prior(msgspec.Struct, frozen=True, kw_only=True):
    attribution: Attribution
    last_activity: datetime
    install_id: str


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    type: DecisionType
    ts: datetime
    attribution: Attribution
    method: Method = "organic"
    app_id: str = ""
    reattributed: bool = False
    touchpoint: Touchpoint | None = None
    ctit_seconds: float | None = None
    flags: tuple[str, ...] = ()
    passed_over: tuple[PassedOver, ...] = ()
    since: datetime | None = None
    inactive_seconds: float | None = None
    inactivity_window_days: int | None = None
    country: str | None = None  # where the device was when it asked (the trigger's)

    @property
    def bucket(self) -> Bucket:
        return self.attribution.type

    def to_event(self) -> dict:
        """Plain data for the event store (msgpack keeps datetimes)."""
        return msgspec.to_builtins(self, builtin_types=(datetime,))

    @classmethod
    def from_event(cls, data: dict) -> Decision:
        return msgspec.convert(data, cls)


# -- identities ---------------------------------------------------------------------------------


def device_keys(device: dict[str, str]) -> list[tuple[str, str]]:
    """The device's identifiers, normalised, ``instance_id`` first. Zeroed ad ids (limit ad
    tracking) identify nothing and are dropped."""
    keys: list[tuple[str, str]] = []
    for field in ("instance_id", *DEVICE_ID_FIELDS):
        value = (device.get(field) or "").strip().lower()
        if value and value.strip("0-") and value not in ("unknown", "null", "none"):
            keys.append((field, value))
    return keys


def key_part(value: str) -> str:
    """A value safe to stand between ``/`` in a view key."""
    return value.replace("%", "%25").replace("/", "%2F")


@lru_cache(maxsize=65536)
def normalise_ua(ua: str | None) -> str:
    """The part of a User-Agent that a browser's click and the app's SDK share: the OS family
    and major version and the device model, lowercased (``android 14|pixel 7``). iOS hides the
    model from both, so Apple devices are ``apple``. Browser and app names and versions differ
    between the click and the install, so they are left out."""
    if not ua:
        return ""
    from ua_parser import parse

    parsed = parse(ua)
    os_family = parsed.os.family if parsed.os else "other"
    os_major = parsed.os.major if parsed.os and parsed.os.major else ""
    device = parsed.device
    if device is None:
        model = "other"
    elif device.brand == "Apple" or os_family in ("iOS", "Mac OS X"):
        model = "apple"
    else:
        model = device.model or device.family or "other"
    return f"{os_family} {os_major}|{model}".lower().strip()


def fingerprint(ip: str | None, ua: str | None) -> str | None:
    if not ip or not ua:
        return None
    return f"{ip.strip()}|{normalise_ua(ua)}"


class ReferrerMarks(msgspec.Struct, frozen=True):
    click_id: str | None = None
    link_code: str | None = None
    bad_click_id: str | None = None
    decoded_again: bool = False


def parse_referrer(referrer: str | None) -> ReferrerMarks:
    """``mt_click_id`` and ``mt_link_id`` of an install referrer. A referrer encoded once or
    twice more than Google Play hands it over (``mt_click_id%253D...``) is decoded again."""
    if not referrer:
        return ReferrerMarks()
    text = referrer.strip()
    extra = 0
    params = parse_qs(text)
    while "mt_click_id" not in params and "mt_link_id" not in params and extra < 3:
        decoded = unquote(text)
        if decoded == text:
            break
        text, extra = decoded, extra + 1
        params = parse_qs(text)
    click = (params.get("mt_click_id") or [None])[0]
    link = (params.get("mt_link_id") or [None])[0]
    bad = None
    if click is not None:
        try:
            click = str(UUID(click.strip()))
        except ValueError:
            click, bad = None, click
    return ReferrerMarks(
        click_id=click,
        link_code=link.strip() if link else None,
        bad_click_id=bad,
        decoded_again=extra > 0 and (click is not None or link is not None),
    )


def preinstall_link_codes(referrer: ReferrerMarks, params: dict[str, str]) -> list[str]:
    """Pre-install marks in priority order: the referrer's, then the preinstall parameters'."""
    codes = [referrer.link_code, params.get("mt_link_id"), params.get("mt_preinstall_link_id")]
    seen: list[str] = []
    for code in codes:
        if code and code.strip() and code.strip() not in seen:
            seen.append(code.strip())
    return seen


# -- the decision --------------------------------------------------------------------------------


def span(seconds: float) -> str:
    """``168h`` or ``168h00m01s``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if minutes == 0 and secs == 0 and whole == seconds:
        return f"{hours}h"
    return f"{hours}h{minutes:02d}m{secs:02d}s"


def _window_hours(tp: Touchpoint, method: str) -> tuple[str, int]:
    if method == "probabilistic":
        return "fingerprint", min(tp.settings.fingerprint_window_hours, MAX_FINGERPRINT_HOURS)
    if tp.kind == "impression":
        return "view", tp.settings.view_window_hours
    return "click", tp.settings.click_window_hours


def _passed(tp: Touchpoint, method: str, reason: str) -> PassedOver:
    return PassedOver(
        id=tp.id, kind=tp.kind, method=method, reason=reason, link_code=tp.link_code, ts=tp.ts
    )


def _why_not(tp: Touchpoint, method: str, trigger: Trigger, since: datetime | None) -> str | None:
    """Why ``tp`` cannot win ``method`` for this trigger, or None when it is eligible."""
    if tp.app_id is not None and tp.app_id != trigger.app_id:
        return f"the link is for another app ({tp.app_id})"
    if tp.app_id is None and tp.platform and trigger.platform and tp.platform != trigger.platform:
        return f"smart-link {tp.kind} from a {tp.platform} device, the app is {trigger.platform}"
    if method == "preinstall":
        if tp.campaign_type != "preinstall":
            return f"campaign {tp.campaign_id} is not a preinstall campaign"
        return None
    if tp.ts is None:
        return "no time"
    if tp.ts > trigger.ts:
        return f"after the {trigger.type} ({span((tp.ts - trigger.ts).total_seconds())} later)"
    if since is not None and tp.ts < since:
        return f"before the last activity at {since.isoformat()}"
    name, hours = _window_hours(tp, method)
    elapsed = (trigger.ts - tp.ts).total_seconds()
    if elapsed > hours * 3600:
        return f"outside {name} window ({span(elapsed)} > {hours}h)"
    return None


def _dedupe(touchpoints: tuple[Touchpoint, ...]) -> list[Touchpoint]:
    seen: set[str] = set()
    out = []
    for tp in touchpoints:
        if tp.id not in seen:
            seen.add(tp.id)
            out.append(tp)
    return out


def _latest_first(touchpoints: list[Touchpoint]) -> list[Touchpoint]:
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(touchpoints, key=lambda t: (t.ts or epoch, t.id), reverse=True)


def _waterfall(
    candidates: Candidates,
    trigger: Trigger,
    since: datetime | None,
    *,
    preinstall: bool,
    referrer: bool,
) -> tuple[Touchpoint | None, str, list[PassedOver]]:
    passed: list[PassedOver] = list(candidates.unresolved)
    steps: list[tuple[str, list[Touchpoint]]] = []
    if preinstall:
        steps.append(("preinstall", list(candidates.preinstall)))
    else:
        reason = "a pre-install mark counts only for the device's first install"
        passed.extend(_passed(tp, "preinstall", reason) for tp in candidates.preinstall)
    if candidates.referrer is not None:
        if referrer:
            steps.append(("referrer", [candidates.referrer]))
        else:
            reason = "the install referrer counts only for an install"
            passed.append(_passed(candidates.referrer, "referrer", reason))
    steps.append(("device_id", _latest_first(_dedupe(candidates.clicks))))
    steps.append(("device_id", _latest_first(_dedupe(candidates.impressions))))
    steps.append(("probabilistic", _latest_first(_dedupe(candidates.fingerprint))))

    winner: Touchpoint | None = None
    winner_method = "organic"
    considered: set[str] = set()
    for method, touchpoints in steps:
        for tp in touchpoints:
            if tp.id in considered:
                continue  # already judged by a higher method (a click found twice)
            considered.add(tp.id)
            why = _why_not(tp, method, trigger, since)
            if why is None and winner is not None:
                if winner_method == method and winner.kind == tp.kind:
                    why = f"older than {winner.id} (within {method}, the latest wins)"
                else:
                    why = f"{_label(method, tp)} ranks below {_label(winner_method, winner)}"
            if why is not None:
                passed.append(_passed(tp, method, why))
            else:
                winner, winner_method = tp, method
    return winner, winner_method, passed


def _label(method: str, tp: Touchpoint) -> str:
    if method == "device_id":
        return f"device-id matched {tp.kind}"
    if method == "referrer":
        return "the referrer's click"
    if method == "preinstall":
        return "the pre-install mark"
    return f"{method} {tp.kind}"


def _attribution_of(
    tp: Touchpoint | None, method: str, decision_id: str, install_id: str
) -> Attribution:
    if tp is None:
        return Attribution(
            type="organic", method="organic", decision_id=decision_id, install_id=install_id
        )
    return Attribution(
        type=tp.kind,
        method=method,  # type: ignore[arg-type]
        campaign_id=tp.campaign_id,
        link_code=tp.link_code,
        partner_id=tp.partner_id,
        click_id=tp.id if tp.kind == "click" else None,
        touchpoint_id=tp.id,
        touchpoint_ts=tp.ts,
        decision_id=decision_id,
        install_id=install_id,
        deep_link=tp.deep_link,
    )


def lapsed(last_activity: datetime, at: datetime, inactivity_window_days: int) -> bool:
    """Whether a device was inactive longer than the window: only then is it re-attributed."""
    return (at - last_activity).total_seconds() > inactivity_window_days * 86400


def decide(
    trigger: Trigger,
    candidates: Candidates,
    prior: Prior | None,
    app_settings: AttributionSettings,
) -> Decision:
    """One decision for ``trigger``: a first install runs the whole waterfall; a reinstall or a
    launch after ``inactivity_window_days`` without activity is re-attributed to a touchpoint
    since the last activity (else Organic, or kept when ``reattribute_to_organic`` is off); a
    reinstall inside the window keeps its attribution; a launch inside it decides nothing."""
    decision = _decide(trigger, candidates, prior, app_settings)
    return msgspec.structs.replace(decision, app_id=trigger.app_id)


def _decide(
    trigger: Trigger,
    candidates: Candidates,
    prior: Prior | None,
    app_settings: AttributionSettings,
) -> Decision:
    if prior is None:
        tp, method, passed = _waterfall(candidates, trigger, None, preinstall=True, referrer=True)
        return _decided(trigger, "new_install", tp, method, passed, candidates, trigger.id)

    kind: DecisionType = "reinstall" if trigger.type == "install" else "reengagement"
    inactive = (trigger.ts - prior.last_activity).total_seconds()
    window_days = app_settings.inactivity_window_days
    install_id = trigger.id if kind == "reinstall" else prior.install_id
    common = {
        "since": prior.last_activity,
        "inactive_seconds": inactive,
        "inactivity_window_days": window_days,
    }
    if not lapsed(prior.last_activity, trigger.ts, window_days):
        if kind == "reengagement":
            return Decision(
                id=trigger.id,
                country=trigger.country,
                type="none",
                ts=trigger.ts,
                attribution=prior.attribution,
                method="kept",
                **common,
            )
        kept = msgspec.structs.replace(prior.attribution, install_id=install_id)
        return Decision(
            id=trigger.id,
            country=trigger.country,
            type="reinstall",
            ts=trigger.ts,
            attribution=kept,
            method="kept",
            flags=("inside_inactivity_window",),
            **common,
        )

    tp, method, passed = _waterfall(
        candidates,
        trigger,
        prior.last_activity,
        preinstall=False,
        referrer=kind == "reinstall",
    )
    if tp is None and not app_settings.reattribute_to_organic:
        kept = msgspec.structs.replace(prior.attribution, install_id=install_id)
        return Decision(
            id=trigger.id,
            country=trigger.country,
            type=kind,
            ts=trigger.ts,
            attribution=kept,
            method="kept",
            flags=("reattribute_to_organic_off", *candidates.flags),
            passed_over=tuple(passed),
            **common,
        )
    decision = _decided(trigger, kind, tp, method, passed, candidates, install_id)
    return msgspec.structs.replace(decision, reattributed=True, **common)


def _decided(
    trigger: Trigger,
    kind: DecisionType,
    tp: Touchpoint | None,
    method: str,
    passed: list[PassedOver],
    candidates: Candidates,
    install_id: str,
) -> Decision:
    flags = list(candidates.flags)
    ctit = None
    if tp is not None and tp.ts is not None:
        ctit = (trigger.ts - tp.ts).total_seconds()
        if ctit < CTIT_SUSPICIOUS_SECONDS:
            flags.append("ctit_under_10s")
    return Decision(
        id=trigger.id,
        country=trigger.country,
        type=kind,
        ts=trigger.ts,
        attribution=_attribution_of(tp, method, trigger.id, install_id),
        method="organic" if tp is None else method,  # type: ignore[arg-type]
        touchpoint=tp,
        ctit_seconds=ctit,
        flags=tuple(flags),
        passed_over=tuple(passed),
    )
