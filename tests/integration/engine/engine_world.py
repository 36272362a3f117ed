from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from unilink.inventory.model import Interconnect, InterconnectKind, Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.store.db import Store
from unilink.store.tenancy import add_tenant

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
G, M = 10**9, 10**6


def small_network() -> Network:
    """Five PoPs in a ring with a chord; Internet transit in Paris; a thin Lyon–Milan link to fill."""
    pops = [Pop("Paris", "Paris", "FR", 48.86, 2.35), Pop("Lyon", "Lyon", "FR", 45.76, 4.84),
            Pop("Milan", "Milan", "IT", 45.46, 9.19), Pop("Frankfurt", "Frankfurt", "DE", 50.11, 8.68),
            Pop("London", "London", "GB", 51.51, -0.13)]
    by = {p.name: p for p in pops}
    routers = []
    for i, p in enumerate(pops):
        routers.append(Router(f"{p.name.lower()}-pe1", p.name, RouterRole.EDGE, Vendor.JUNOS, f"10.255.0.{i + 1}"))
        routers.append(Router(f"{p.name.lower()}-p1", p.name, RouterRole.CORE, Vendor.JUNOS, f"10.255.1.{i + 1}"))
    links = [make_link("Paris-Lyon", by["Paris"], by["Lyon"], 10 * G),
             make_link("Lyon-Milan", by["Lyon"], by["Milan"], 1 * G),
             make_link("Milan-Frankfurt", by["Milan"], by["Frankfurt"], 10 * G),
             make_link("Frankfurt-Paris", by["Frankfurt"], by["Paris"], 10 * G),
             make_link("Paris-London", by["Paris"], by["London"], 10 * G),
             make_link("London-Frankfurt", by["London"], by["Frankfurt"], 10 * G)]
    interconnects = [Interconnect("Paris-transit", InterconnectKind.TRANSIT, "Paris", "Cogent", 100 * G)]
    return Network("small", pops, routers, links, interconnects)


ACME: dict[str, Any] = {
    "sites": [
        {"name": "HQ", "pop": "Paris", "access": {"technology": "fibre", "port": "10G", "down": "2G", "up": "2G"}},
        {"name": "Lyon-plant", "pop": "Lyon",
         "access": {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}},
        {"name": "Milan-office", "pop": "Milan",
         "access": {"technology": "vdsl2", "port": "100M", "down": "100M", "up": "40M"}},
        {"name": "London-shop", "pop": "London",
         "access": {"technology": "ftth", "port": "1G", "down": "500M", "up": "200M"}},
    ],
    "services": [
        {"kind": "internet", "name": "hq-internet", "site": "HQ", "rate": "500M"},
        {"kind": "internet", "name": "lyon-internet", "site": "Lyon-plant", "rate": "100M"},
        {"kind": "ipvpn", "name": "corp", "members": [{"site": "HQ", "rate": "200M"},
                                                       {"site": "Lyon-plant", "rate": "100M"},
                                                       {"site": "Milan-office", "rate": "50M"}]},
    ],
}


def acme() -> dict[str, Any]:
    return copy.deepcopy(ACME)




def prepare(store: Store) -> Store:
    store.replace_network(small_network())
    with store.session() as session:
        add_tenant(session, "acme", "enterprise", "ACME Industries")
        add_tenant(session, "globex", "enterprise", "Globex")
    return store
