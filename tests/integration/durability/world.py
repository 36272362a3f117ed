"""A small world for the durability tests: three PoPs, one tenant with a VPN over all three."""

from __future__ import annotations

import copy
from typing import Any

from unilink.inventory.model import Interconnect, InterconnectKind, Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.store.db import Store
from unilink.store.tenancy import add_tenant

G = 10**9
ROUTERS = ("paris-pe1", "lyon-pe1", "milan-pe1")


def small_network() -> Network:
    pops = [Pop("Paris", "Paris", "FR", 48.86, 2.35), Pop("Lyon", "Lyon", "FR", 45.76, 4.84),
            Pop("Milan", "Milan", "IT", 45.46, 9.19)]
    by = {p.name: p for p in pops}
    routers = [Router(f"{p.name.lower()}-pe1", p.name, RouterRole.EDGE, Vendor.JUNOS, f"10.255.0.{i + 1}")
               for i, p in enumerate(pops)]
    links = [make_link("Paris-Lyon", by["Paris"], by["Lyon"], 10 * G),
             make_link("Lyon-Milan", by["Lyon"], by["Milan"], 10 * G),
             make_link("Milan-Paris", by["Milan"], by["Paris"], 10 * G)]
    interconnects = [Interconnect("Paris-transit", InterconnectKind.TRANSIT, "Paris", "Cogent", 100 * G)]
    return Network("durability", pops, routers, links, interconnects)


ACME: dict[str, Any] = {
    "sites": [
        {"name": "HQ", "pop": "Paris", "access": {"technology": "fibre", "port": "10G", "down": "2G", "up": "2G"}},
        {"name": "Plant", "pop": "Lyon", "access": {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}},
        {"name": "Office", "pop": "Milan", "access": {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}},
    ],
    "services": [
        {"kind": "ipvpn", "name": "corp", "members": [{"site": "HQ", "rate": "200M"},
                                                       {"site": "Plant", "rate": "100M"},
                                                       {"site": "Office", "rate": "100M"}]},
    ],
}


def acme(rate: str = "100M") -> dict[str, Any]:
    """The tenant's document with every VPN member at `rate`: changing it touches all three routers."""
    doc = copy.deepcopy(ACME)
    for member in doc["services"][0]["members"]:
        member["rate"] = rate
    return doc


def prepare(store: Store) -> Store:
    store.replace_network(small_network())
    with store.session() as session:
        add_tenant(session, "acme", "enterprise", "ACME Industries")
    return store
