"""Lets the root test suite run each partner package's own tests from this checkout.

The packages are not installed in the tracker's venv: an installed package enables its partner
in every tracker the suite builds. Their directories are not put on ``sys.path`` either: once
pip has built a package there, the directory holds its ``*.egg-info``, whose entry point would
enable the partner just the same. So a package that is not installed is imported from its
files, without touching ``sys.path``. (Run on its own, from the package's directory, a
package's tests use its own pytest settings instead.)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _import_from_checkout(package: Path) -> None:
    name = package.name
    if name in sys.modules or importlib.util.find_spec(name) is not None:
        return
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


for _init in sorted(HERE.glob("*/tracker_partner_*/__init__.py")):
    _import_from_checkout(_init.parent)
