"""The scenario table drives the pure engine; a small driver keeps the device's state the way
the attribution service does (first install, same instance, new instance, launch)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.domain.attribution_scenarios import SCENARIOS, T0, Scenario, Step
from tracker.domain.attribution import (
    Candidates,
    Decision,
    Prior,
    Touchpoint,
    Trigger,
    decide,
)
from tracker.domain.catalog import AttributionSettings


def when(step: Step) -> datetime:
    return T0 + (step.at if isinstance(step.at, timedelta) else timedelta(0))


def touchpoint(n: int, step: Step) -> Touchpoint:
    kind = {"c": "click", "f": "click", "r": "click", "i": "impression"}.get(step.kind)
    return Touchpoint(
        id=f"t{n}",
        kind=kind or "preinstall",  # type: ignore[arg-type]
        ts=None if kind is None else when(step),
        link_code=f"L{n}",
        campaign_id=f"C{n}",
        campaign_type="regular" if step.kind != "p" else "preinstall",
        app_id="app",
        matched_by={"c": "gaid", "i": "gaid", "f": "fingerprint", "r": "referrer"}.get(
            step.kind, "mt_link_id"
        ),
        settings=AttributionSettings(**step.link),
    )


class Outcome:
    """What one ``e``/``l`` step ended with: comparable with the table's expectation."""

    def __init__(self, kind: str, bucket: str, method: str, winner: int | None, flags=()) -> None:
        self.value = (kind, bucket, method, winner)
        self.flags = tuple(flags)


def winner_index(touchpoint_id: str | None) -> int | None:
    return None if touchpoint_id is None else int(touchpoint_id.removeprefix("t"))


def drive(scenario: Scenario) -> dict[int, Outcome]:
    settings = AttributionSettings(**scenario.app)
    touchpoints: list[tuple[Step, Touchpoint]] = []
    state: dict | None = None
    outcomes: dict[int, Outcome] = {}
    for n, step in enumerate(scenario.steps):
        ts = when(step)
        if step.kind in ("c", "i", "f", "r", "p", "p~"):
            touchpoints.append((step, touchpoint(n, step)))
            continue

        def of(*kinds: str) -> tuple[Touchpoint, ...]:
            return tuple(tp for s, tp in touchpoints if s.kind in kinds)

        referrers = of("r")
        candidates = Candidates(
            preinstall=of("p", "p~"),
            referrer=referrers[-1] if referrers else None,
            clicks=of("c"),
            impressions=of("i"),
            fingerprint=of("f"),
        )
        trigger = Trigger(id=f"s{n}", type="install", ts=ts, app_id="app")
        decision: Decision | None = None
        if state is None:
            decision = decide(trigger, candidates, None, settings)
            state = {"instances": {step.instance}, "last": ts}
        else:
            prior = Prior(
                attribution=state["attribution"], last_activity=state["last"], install_id="x"
            )
            if step.kind == "e" and step.instance not in state["instances"]:
                decision = decide(trigger, candidates, prior, settings)
                state["instances"].add(step.instance)
            elif step.kind == "l":
                launch = Trigger(id=f"s{n}", type="launch", ts=ts, app_id="app")
                decision = decide(launch, candidates, prior, settings)
            current = state["attribution"]
            if step.kind == "e" and decision is None:
                outcomes[n] = Outcome(
                    "dup", current.type, current.method, winner_index(current.touchpoint_id)
                )
            if decision is not None and decision.type == "none":
                outcomes[n] = Outcome(
                    "none", current.type, current.method, winner_index(current.touchpoint_id)
                )
                decision = None
        if decision is not None:
            state["attribution"] = decision.attribution
            outcomes[n] = Outcome(
                decision.type,
                decision.bucket,
                decision.method,
                winner_index(decision.attribution.touchpoint_id),
                decision.flags,
            )
        state["last"] = max(state["last"], ts)
    return outcomes


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_scenario(scenario: Scenario) -> None:
    outcomes = drive(scenario)
    for n, step in enumerate(scenario.steps):
        if step.expect is not None:
            assert outcomes[n].value == step.expect, f"step {n} ({step.kind} at {step.at})"
    for n, flags in scenario.flags.items():
        assert set(outcomes[n].flags) == set(flags)
