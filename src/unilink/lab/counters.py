"""The lab routers' interface counters, read from the kernel over netlink (pyroute2, IFLA_STATS64).

What each interface carries comes from the lab topology: a backbone veth is its inventory link (the
`a` router's end sends `ab`), a site's `acc-N` port its Internet access and `vpn-N` its VPN port (the
PE sends `down`). The counters are the kernel's 64-bit ones; the ifindex is the reset marker (a
re-created veth starts from 0 with a new index). The read time is the wall clock: these are real
interfaces, measured now (a caller may pass its own `now`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from unilink.devices.counters import Carries, Counter
from unilink.devices.drivers.base import DeviceError
from unilink.lab.builder import Lab
from unilink.lab.topology import LabTopology


def carried(topology: LabTopology, netns: str) -> dict[str, Carries]:
    """Interface name → what it carries, on the router in `netns`."""
    out: dict[str, Carries] = {}
    for link in topology.links:
        if link.a == netns:
            out[link.a_ifname] = Carries.link_end(link.name, a_side=True)
        if link.b == netns:
            out[link.b_ifname] = Carries.link_end(link.name, a_side=False)
    for site in topology.sites:
        if site.router == netns:
            out[site.pe_inet_ifname] = Carries.site_port(topology.tenant, site.name, "internet")
            out[site.pe_vpn_ifname] = Carries.site_port(topology.tenant, site.name, "vpn")
    return out


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class LabCounterReader:
    """`read_counters(router)` for the routers of a running lab (by inventory name, netns or PoP)."""

    def __init__(self, lab: Lab | Path | str | None = None, *, now: Callable[[], datetime] = _wall_clock) -> None:
        self.lab = lab if isinstance(lab, Lab) else Lab.at(lab)
        self.topology = self.lab.topology()
        self.now = now

    def routers(self) -> list[str]:
        return [r.inventory_name for r in self.topology.routers]

    def read_counters(self, router: str) -> list[Counter]:
        from pyroute2 import NetNS  # only the lab needs netlink

        lab_router = self.topology.router(router)
        wanted = carried(self.topology, lab_router.netns)
        try:
            with NetNS(lab_router.netns) as ns:
                links = ns.get_links()
        except Exception as exc:  # pyroute2 raises OSError, NetlinkError, FileNotFoundError…
            raise DeviceError(router, f"cannot read the counters of {lab_router.netns}: {exc}") from exc
        at = self.now()
        out = []
        for link in links:
            name = link.get_attr("IFLA_IFNAME")
            stats = link.get_attr("IFLA_STATS64")
            if name not in wanted or not stats:
                continue
            out.append(Counter(lab_router.inventory_name, name, int(stats["rx_bytes"]), int(stats["tx_bytes"]), at,
                               width=64, marker=str(link["index"]), carries=wanted[name]))
        return out
