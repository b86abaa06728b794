"""A partner shipped as its own pip package is found once installed, and only then.

Every check runs in a subprocess with the pip ``--target`` directory on ``sys.path`` (standing
for installed) or without it (standing for uninstalled), so this process and the venv never
see the packages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARTNERS = ROOT / "partners"
# partner id (and directory under partners/) -> the module its entry point names
PACKAGES = {
    "unity_ads": "tracker_partner_unity_ads",
    "mintegral": "tracker_partner_mintegral",
    "tune": "tracker_partner_tune",
    "tiktok": "tracker_partner_tiktok",
}
PIP_TIMEOUT = 180
RUN_TIMEOUT = 120

LIST_PARTNERS = (
    "from tracker.plugin_manager import build_plugin_manager, plugin_partners;"
    "print(sorted(plugin_partners(build_plugin_manager())))"
)

# GET /api/v1/partners of a tracker built as `tracker serve` builds it; argv: site dir (or
# ""), data dir. Prints the answer's partners by id as JSON on its last line.
API_PARTNERS = """
import json, sys
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
import trio
from tracker.bootstrap import Role, bootstrap, build_process
from tracker.settings import load_settings
from tracker.web.app import create_app

async def main():
    tracker = bootstrap(load_settings({}, data_dir=sys.argv[2], admin_token="x"))
    try:
        app = create_app(build_process(tracker, Role.SERVE))
        async with app.test_app() as test_app:
            response = await test_app.test_client().get(
                "/api/v1/partners", headers={"Authorization": "Bearer x"}
            )
            assert response.status_code == 200, response.status_code
            body = await response.get_json()
    finally:
        tracker.close()
    print(json.dumps({p["id"]: p for p in body["partners"]}))

trio.run(main)
"""

# The partner packages' tracker_build_postback and tracker_classify_response, loaded from
# their entry points, against a plugin registered after them that answers every call (as the
# first-party defaults do). argv: site dir. Prints what the hooks answered as JSON.
HOOK_ORDER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from tracker import DeliveryOutcome, PostbackRequest, PostbackResponse, hookimpl
from tracker.plugin_manager import build_plugin_manager, plugin_partners

class AnswersEverything:
    @hookimpl
    def tracker_build_postback(self, partner, template, values, secret):
        return PostbackRequest(method=template.method, url=template.url, body=template.body)

    @hookimpl
    def tracker_classify_response(self, partner, request, response):
        return DeliveryOutcome(verdict="delivered" if response.status < 300 else "failed")

pm = build_plugin_manager(AnswersEverything())
partners = plugin_partners(pm)
tiktok = partners["tiktok"]
request = pm.hook.tracker_build_postback(
    partner=tiktok,
    template=tiktok.postbacks["install"],
    values={
        "mt_event_type": "install",
        "mt_event_ts": "1767268800",
        "mt_postback_id": "pb-1",
        "mt_gaid_lc": "38400000-8cf0-11bd-b23e-10b96e40000d",
        "setting_access_token": "t0k3n",
        "setting_tiktok_app_id": "756889",
    },
    secret=None,
)
refused = PostbackResponse(status=200, body="success=false; err_msg=Duplicate conversion;")
verdicts = {
    p: pm.hook.tracker_classify_response(
        partner=partners[p], request=request, response=refused
    ).verdict
    for p in ("tune", "tiktok", "unity_ads", "mintegral")
}
print(json.dumps({"request": {"url": request.url, "headers": request.headers,
                              "body": json.loads(request.body)},
                  "verdicts": verdicts}))
"""


def _pip_install(target: Path, *projects: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--target",
            str(target),
            *map(str, projects),
        ],
        check=True,
        timeout=PIP_TIMEOUT,
        capture_output=True,
    )


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _partners(extra_path: Path | None) -> str:
    env_path = [str(extra_path)] if extra_path else []
    return _run(f"import sys; sys.path[:0] = {env_path!r};" + LIST_PARTNERS)


def _api_partners(site: Path | None, data_dir: Path) -> dict[str, Any]:
    out = _run(API_PARTNERS, str(site) if site else "", str(data_dir))
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def four_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four partner packages, pip-installed into one --target directory."""
    target = tmp_path_factory.mktemp("partners") / "site"
    _pip_install(target, *(PARTNERS / name for name in PACKAGES))
    return target


def test_an_installed_partner_package_is_found_and_absent_without_it(tmp_path: Path) -> None:
    target = tmp_path / "site"
    _pip_install(target, PARTNERS / "example_network")
    assert "example_network" in _partners(target)
    assert "example_network" not in _partners(None)
    assert "organic" in _partners(None)


def test_the_four_partner_packages_install_with_pip(four_packages: Path) -> None:
    for partner_id, module in PACKAGES.items():
        assert (four_packages / module / "__init__.py").is_file()
        (dist,) = four_packages.glob(f"{module}-*.dist-info")
        entry_points = (dist / "entry_points.txt").read_text(encoding="utf-8")
        assert "[tracker]" in entry_points
        assert f"{partner_id} = {module}" in entry_points
    found = _partners(four_packages)
    assert all(repr(partner_id) in found for partner_id in PACKAGES)


def test_an_installed_partner_package_is_listed_by_the_partners_api(tmp_path: Path) -> None:
    target = tmp_path / "site"
    _pip_install(target, PARTNERS / "tune")

    installed = _api_partners(target, tmp_path / "with")
    assert installed["tune"]["kind"] == "integrated"
    assert installed["tune"]["title"] == "TUNE (HasOffers)"
    assert installed["tune"]["macros"]["transaction_id"] == "{transaction_id}"
    assert {"organic", "no_partner"} <= set(installed)

    uninstalled = _api_partners(None, tmp_path / "without")
    assert "tune" not in uninstalled
    assert {"organic", "no_partner"} <= set(uninstalled)


def test_partner_hooks_answer_for_their_partner_before_a_plugin_registered_after_them(
    four_packages: Path,
) -> None:
    """tracker_build_postback and tracker_classify_response of the TikTok and TUNE packages
    win over a plugin that answers every call, whatever the registration order; for other
    partners they leave the answer to it."""
    answered = json.loads(_run(HOOK_ORDER, str(four_packages)).strip().splitlines()[-1])
    request = answered["request"]
    assert request["url"] == "https://business-api.tiktok.com/open_api/v1.3/event/track/"
    assert request["headers"]["Access-Token"] == "t0k3n"
    assert "t0k3n" not in request["url"]
    assert request["body"]["event_source_id"] == "756889"
    assert request["body"]["data"][0]["event"] == "InstallApp"
    assert answered["verdicts"] == {
        "tune": "failed",  # success=false; under HTTP 200
        "tiktok": "failed",  # not TikTok's JSON answer
        "unity_ads": "delivered",  # no hook of its own: the other plugin's answer
        "mintegral": "delivered",
    }
