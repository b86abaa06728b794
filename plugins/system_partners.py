"""The two partners that always exist: ``organic`` and ``no_partner``."""

from tracker import PartnerSpec, hookimpl


@hookimpl
def tracker_register_partners() -> list[PartnerSpec]:
    return [
        PartnerSpec(id="organic", title="Organic", kind="system"),
        PartnerSpec(id="no_partner", title="No partner", kind="system"),
    ]
