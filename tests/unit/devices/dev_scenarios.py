"""The device-layer test scenarios: a small backbone, a base state and one state per change type.

Used by the golden-file tests and the property tests. Plain data, deterministic.
"""

from __future__ import annotations

from dataclasses import replace

from unilink.devices.device_intent import AccessAttachment, ElineInstance, VpnInstance, VpnTopology
from unilink.inventory.model import Router, RouterRole, Vendor

ROUTERS = [
    Router(name="par-pe1", pop="Paris", role=RouterRole.EDGE, vendor=Vendor.JUNOS, loopback="10.255.0.1"),
    Router(name="fra-pe1", pop="Frankfurt", role=RouterRole.EDGE, vendor=Vendor.IOSXR, loopback="10.255.0.2"),
    Router(name="ams-pe1", pop="Amsterdam", role=RouterRole.EDGE, vendor=Vendor.SROS, loopback="10.255.0.3"),
    Router(name="mil-pe1", pop="Milan", role=RouterRole.EDGE, vendor=Vendor.FRR, loopback="10.255.0.4"),
]

VPN = VpnInstance(name="Acme Corporate", tenant="acme", rd="65000:100", import_rts=("65000:100",),
                  export_rts=("65000:100",), vni=100)
HUB_VPN = VpnInstance(name="Acme Stores", tenant="acme", rd="65000:200", import_rts=("65000:201",),
                      export_rts=("65000:200",), vni=200, topology=VpnTopology.HUB_AND_SPOKE,
                      hub_sites=("Paris HQ",))


def _att(site: str, router: str, port: str, vlan: int | None, n: int, *, down: int = 100_000_000,
         up: int = 100_000_000, internet: bool = False, vpns: tuple[str, ...] = (),
         eline: str | None = None, prefixes: tuple[str, ...] = ()) -> AccessAttachment:
    return AccessAttachment(site=site, tenant="acme", router=router, port=port, vlan=vlan,
                            ipv4=None if eline else f"10.1.{n}.0/31",
                            ipv6=None if eline else f"2001:db8:1:{n}::/127",
                            rate_down_bps=down, rate_up_bps=up, internet=internet, vpns=vpns, eline=eline,
                            routed_prefixes=prefixes)


BASE = [
    _att("Paris HQ", "par-pe1", "ge-0/0/1", 101, 1, down=1_000_000_000, up=1_000_000_000, internet=True,
         vpns=("Acme Corporate",), prefixes=("192.0.2.0/26",)),
    _att("Frankfurt Office", "fra-pe1", "GigabitEthernet0/0/0/1", 102, 2, vpns=("Acme Corporate",),
         prefixes=("192.0.2.64/26",)),
    _att("Amsterdam Office", "ams-pe1", "1/1/1", 103, 3, internet=True),
    _att("Milan Office", "mil-pe1", "ul-mil-s1", None, 4, vpns=("Acme Corporate",)),
]


def base() -> tuple[list[AccessAttachment], list[VpnInstance], list[ElineInstance]]:
    return list(BASE), [VPN], []


def new_site() -> tuple[list[AccessAttachment], list[VpnInstance], list[ElineInstance]]:
    extra = _att("Amsterdam Warehouse", "ams-pe1", "1/1/2", 104, 5, down=50_000_000, up=10_000_000,
                 vpns=("Acme Corporate",))
    return [*BASE, extra], [VPN], []


def rate_change() -> tuple[list[AccessAttachment], list[VpnInstance], list[ElineInstance]]:
    # every site from 100M (or 1G) down to 10M
    return [replace(a, rate_down_bps=10_000_000, rate_up_bps=10_000_000) for a in BASE], [VPN], []


def vpn_join() -> tuple[list[AccessAttachment], list[VpnInstance], list[ElineInstance]]:
    # Amsterdam Office (Internet only) joins the VPN as well
    atts = [replace(a, vpns=("Acme Corporate",)) if a.site == "Amsterdam Office" else a for a in BASE]
    return atts, [VPN], []


def vpn_leave() -> tuple[list[AccessAttachment], list[VpnInstance], list[ElineInstance]]:
    # Milan leaves the VPN (and gets Internet instead); Frankfurt leaves it too
    atts = [replace(a, vpns=(), internet=True) if a.site in ("Milan Office", "Frankfurt Office") else a
            for a in BASE]
    return atts, [VPN], []


def internet_to_vpn() -> tuple[list[AccessAttachment], list[VpnInstance], list[ElineInstance]]:
    # Amsterdam Office: Internet → VPN only; Paris HQ: VPN+Internet → Internet only
    out = []
    for a in BASE:
        if a.site == "Amsterdam Office":
            a = replace(a, internet=False, vpns=("Acme Corporate",))
        elif a.site == "Paris HQ":
            a = replace(a, vpns=())
        out.append(a)
    return out, [VPN], []


def hub_and_spoke_and_eline() -> tuple[list[AccessAttachment], list[VpnInstance], list[ElineInstance]]:
    atts = [
        _att("Paris HQ", "par-pe1", "ge-0/0/2", 201, 11, vpns=("Acme Stores",)),
        _att("Store Frankfurt", "fra-pe1", "GigabitEthernet0/0/0/2", 202, 12, vpns=("Acme Stores",)),
        _att("Store Amsterdam", "ams-pe1", "1/1/3", 203, 13, internet=True, vpns=("Acme Stores",)),
        _att("Store Milan", "mil-pe1", "ul-mil-s2", None, 14, vpns=("Acme Stores",)),
        _att("DC Paris", "par-pe1", "ge-0/0/3", 301, 0, eline="DC link"),
        _att("DC Frankfurt", "fra-pe1", "GigabitEthernet0/0/0/3", 301, 0, eline="DC link"),
    ]
    return atts, [HUB_VPN], [ElineInstance(name="DC link", tenant="acme", a_site="DC Paris",
                                           b_site="DC Frankfurt", vc_id=5001)]


CHANGES = {
    "new_site": new_site,
    "rate_change": rate_change,
    "vpn_join": vpn_join,
    "vpn_leave": vpn_leave,
    "internet_to_vpn": internet_to_vpn,
    "hub_spoke_eline": hub_and_spoke_and_eline,
}
