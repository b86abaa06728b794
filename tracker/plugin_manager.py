from __future__ import annotations

import pluggy

from tracker import hookspecs
from tracker.plugin_types import PartnerSpec


def build_plugin_manager(
    *extra_plugins: object, load_entry_points: bool = True
) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("tracker")
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        pm.load_setuptools_entrypoints("tracker")
    else:
        from plugins import system_partners

        pm.register(system_partners, name="system_partners")
    for plugin in extra_plugins:
        pm.register(plugin)
    return pm


def plugin_partners(pm: pluggy.PluginManager) -> dict[str, PartnerSpec]:
    partners: dict[str, PartnerSpec] = {}
    for specs in pm.hook.tracker_register_partners():
        for spec in specs:
            if spec.id in partners:
                raise RuntimeError(f"two plugins register partner {spec.id!r}")
            partners[spec.id] = spec
    return partners
