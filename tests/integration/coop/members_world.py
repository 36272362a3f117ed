"""A small backbone with a cooperative, its plans, lines and pools: the members tests' world."""

from __future__ import annotations

from typing import Any

from unilink.inventory.model import Interconnect, InterconnectKind, Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.store.db import Store
from unilink.store.tenancy import add_tenant
from unilink.usecases import memberships

M, G = 10**6, 10**9
COOP = "village-coop"
ACCESS_ROUTER = "lyon-pe1"


def network(vendor: Vendor = Vendor.JUNOS) -> Network:
    pops = [Pop("Paris", "Paris", "FR", 48.86, 2.35), Pop("Lyon", "Lyon", "FR", 45.76, 4.84)]
    routers = [Router("paris-pe1", "Paris", RouterRole.EDGE, vendor, "10.255.0.1"),
               Router("lyon-pe1", "Lyon", RouterRole.EDGE, vendor, "10.255.0.2")]
    links = [make_link("Paris-Lyon", pops[0], pops[1], 10 * G)]
    return Network("members", pops, routers, links,
                   [Interconnect("Paris-transit", InterconnectKind.TRANSIT, "Paris", "Cogent", 100 * G)])


def prepare(store: Store, *, v4_prefix: str = "192.0.2.8/29", lines: int = 3, other_coop: bool = True) -> Store:
    """The coop with plans 100M/50M, 300M/100M, 1G/500M (€25, €35, €55), `lines` lines of 500M/500M
    ceiling on lyon-pe1 (ports m1…), a public pool `v4_prefix`, a CGNAT pool (100.64.0.0/30, 16,128-port
    blocks: 2 addresses × 4 shares) and an IPv6 pool (2001:db8:10::/48, /56 each)."""
    store.replace_network(network())
    with store.session(write=True) as session:
        add_tenant(session, COOP, "cooperative", "Village cooperative")
        if other_coop:
            add_tenant(session, "other-coop", "cooperative", "Another cooperative")
    for name, down, up, cents in (("basic", "100M", "50M", 2500), ("plus", "300M", "100M", 3500),
                                  ("giga", "1G", "500M", 5500)):
        memberships.add_plan(store, COOP, name=name, down=down, up=up, monthly_cents=cents)
    for i in range(1, lines + 1):
        memberships.add_line(store, COOP, name=f"flat-{i}", router=ACCESS_ROUTER, port=f"m{i}",
                             ceiling_down="500M", ceiling_up="500M")
    memberships.add_pool(store, COOP, name="public", kind="ipv4", prefix=v4_prefix)
    memberships.add_pool(store, COOP, name="cgnat", kind="cgnat", prefix="100.64.0.0/30", port_block=16128)
    memberships.add_pool(store, COOP, name="v6", kind="ipv6", prefix="2001:db8:10::/48", delegated_length=56)
    return store


def member(store: Store, n: int) -> int:
    return int(memberships.add_member(store, COOP, name=f"Household {n}", email=f"home{n}@example.org",
                                      address=f"{n} rue de l'Eglise")["id"])


def subscribe(store: Store, n: int, plan: str = "basic", *, activate: bool = True) -> dict[str, Any]:
    sub = memberships.request(store, COOP, member=member(store, n), plan=plan, line=f"flat-{n}")
    if activate:
        return memberships.activate(store, COOP, sub["id"], actor="manager@village")
    return memberships.view(store, COOP, sub["id"])
