"""A partner shipped as its own pip package is found once installed, and only then."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIST_PARTNERS = (
    "from tracker.plugin_manager import build_plugin_manager, plugin_partners;"
    "print(sorted(plugin_partners(build_plugin_manager())))"
)


def _partners(extra_path: Path | None) -> str:
    env_path = [str(extra_path)] if extra_path else []
    code = f"import sys; sys.path[:0] = {env_path!r};" + LIST_PARTNERS
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_an_installed_partner_package_is_found_and_absent_without_it(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(ROOT / "partners" / "example_network"),
        ],
        check=True,
        timeout=180,
        capture_output=True,
    )
    assert "example_network" in _partners(target)
    assert "example_network" not in _partners(None)
    assert "organic" in _partners(None)
