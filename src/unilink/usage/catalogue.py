"""What the simulated routers' interfaces carry: the backbone links of the inventory and the access
attachments of the deployed services, as the engine's runtime knows them (its device model)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from unilink.devices.counters import Carries
from unilink.devices.device_intent import AccessAttachment
from unilink.devices.drivers.sim import SimInterface
from unilink.engine import runtime as rt
from unilink.inventory.model import Link

IFNAME_MAX = 64


def service_of(att: AccessAttachment) -> str:
    if att.eline:
        return f"eline:{att.eline}"
    if att.vpns:
        return f"vpn:{att.vpns[0]}"
    return "internet" if att.internet else ""


def access_interface(att: AccessAttachment) -> SimInterface:
    name = f"{att.port}.{att.vlan}" if att.vlan is not None else att.port
    return SimInterface(name, Carries.site_port(att.tenant, att.site, service_of(att)), att.rate_down_bps)


def link_interfaces(link: Link, edge_router: dict[str, str]) -> list[tuple[str, SimInterface]]:
    """(router, interface) of both ends of a backbone link (the PoP's edge router when unnamed)."""
    a = link.a_router or edge_router.get(link.a)
    b = link.b_router or edge_router.get(link.b)
    name = f"bb-{link.name}"[:IFNAME_MAX]
    ends = [(a, Carries.link_end(link.name, a_side=True)), (b, Carries.link_end(link.name, a_side=False))]
    return [(router, SimInterface(name, carries, link.capacity_bps)) for router, carries in ends if router]


def sim_interfaces(store: Any) -> dict[str, list[SimInterface]]:
    """Router → its interfaces, read from the engine's runtime of `store`."""
    with rt.LOCK, store.session() as session:
        runtime = rt.runtime_for(store, session)
        links = list(runtime.network.links)
        edge = dict(runtime.edge_router)
        attachments: Iterable[AccessAttachment] = [
            a for devices in (runtime.devices.tenants.values() if runtime.devices else ()) for a in devices.attachments]
    out: dict[str, list[SimInterface]] = {}
    for link in links:
        for router, iface in link_interfaces(link, edge):
            out.setdefault(router, []).append(iface)
    for att in attachments:
        out.setdefault(att.router, []).append(access_interface(att))
    return out
