"""Every hook a plugin can implement. Hooks are pure: they describe, actors act.

Plugins implement them with ``@tracker.hookimpl`` and are found through the ``tracker`` entry
point group (a partner package declares ``[project.entry-points.tracker]``). Hooks are always
called with keyword arguments.
"""

from __future__ import annotations

import pluggy

from tracker.plugin_types import PartnerSpec

hookspec = pluggy.HookspecMarker("tracker")


@hookspec
def tracker_register_partners() -> list[PartnerSpec]:
    """Return the partners this plugin brings.

    Each :class:`tracker.PartnerSpec` names an integrated (or system) partner: its stable id,
    title, kind, utm_source values and the macro mapping that rewrites link templates shown to
    it (``{"mt_idfa": "%%IDFA%%"}``). Called once when the plugin manager is built; ids must be
    unique across all plugins.
    """
