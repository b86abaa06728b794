"""Example Network: an integrated partner shipped as its own pip package.

Installing the package (``pip install ./partners/example_network``) enables the partner: the
tracker finds it through the ``tracker`` entry point group. It imports only ``tracker``'s
public API.
"""

from tracker import PartnerSpec, hookimpl


@hookimpl
def tracker_register_partners() -> list[PartnerSpec]:
    return [
        PartnerSpec(
            id="example_network",
            title="Example Network",
            utm_sources=("example_network",),
            macros={
                "mt_gaid": "{GAID}",
                "mt_idfa": "{IDFA}",
                "mt_sub1": "{CLICK_ID}",
            },
        )
    ]
