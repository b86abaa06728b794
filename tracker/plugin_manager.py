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
        for name, module in first_party_plugins().items():
            pm.register(module, name=name)
    for plugin in extra_plugins:
        pm.register(plugin)
    return pm


def first_party_plugins() -> dict[str, object]:
    """The plugins the core needs, by name; installed, they come through entry points."""
    from plugins import system_partners, template_postbacks

    return {"system_partners": system_partners, "template_postbacks": template_postbacks}


def loaded_plugins(pm: pluggy.PluginManager) -> list[tuple[str, str]]:
    """(plugin name, distribution "name version" or "registered in code"), by name."""
    dists = {id(plugin): f"{d.project_name} {d.version}" for plugin, d in pm.list_plugin_distinfo()}
    return sorted(
        (name, dists.get(id(plugin), "registered in code"))
        for name, plugin in pm.list_name_plugin()
        if plugin is not None
    )


def plugin_partners(pm: pluggy.PluginManager) -> dict[str, PartnerSpec]:
    partners: dict[str, PartnerSpec] = {}
    for specs in pm.hook.tracker_register_partners():
        for spec in specs:
            if spec.id in partners:
                raise RuntimeError(f"two plugins register partner {spec.id!r}")
            partners[spec.id] = spec
    return partners
