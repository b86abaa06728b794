"""Partners come from plugins through ``tracker_register_partners``; the system ones always."""

from __future__ import annotations

import pytest

from tracker import PartnerSpec, hookimpl
from tracker.plugin_manager import build_plugin_manager, plugin_partners


class NetworkPlugin:
    @hookimpl
    def tracker_register_partners(self) -> list[PartnerSpec]:
        return [
            PartnerSpec(
                id="adnet",
                title="AdNet",
                utm_sources=("adnet",),
                macros={"mt_idfa": "%%IDFA%%"},
            )
        ]


def test_system_partners_come_from_the_installed_entry_point() -> None:
    partners = plugin_partners(build_plugin_manager(load_entry_points=True))
    assert {p: s.kind for p, s in partners.items() if s.kind == "system"} == {
        "organic": "system",
        "no_partner": "system",
    }


def test_system_partners_without_entry_points() -> None:
    partners = plugin_partners(build_plugin_manager(load_entry_points=False))
    assert set(partners) == {"organic", "no_partner"}
    assert partners["organic"].title == "Organic"


def test_an_integrated_partner_plugin_adds_its_partner() -> None:
    pm = build_plugin_manager(NetworkPlugin(), load_entry_points=False)
    partners = plugin_partners(pm)
    assert set(partners) == {"organic", "no_partner", "adnet"}
    assert partners["adnet"].kind == "integrated"
    assert partners["adnet"].macros == {"mt_idfa": "%%IDFA%%"}
    results = pm.hook.tracker_register_partners()
    assert all(isinstance(spec, PartnerSpec) for specs in results for spec in specs)


def test_two_plugins_cannot_register_the_same_partner() -> None:
    pm = build_plugin_manager(NetworkPlugin(), NetworkPlugin(), load_entry_points=False)
    with pytest.raises(RuntimeError, match="adnet"):
        plugin_partners(pm)
