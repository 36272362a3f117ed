"""An IP-VPN with asymmetric accesses, planned and applied through the engine on the sample network.

Each direction of each link of its hose tree books what the asymmetric hose can need (Duffield et
al., SIGCOMM 1999): less than the symmetric hose over max(down, up) per PoP, which the engine booked
before, and exactly what `hose_tree` computes from the members' (down, up) rates.
"""

from __future__ import annotations

from typing import Any

import pytest
from engine_helpers import booked, go
from engine_world import NOW

from unilink.inventory.sample import load_sample_network
from unilink.network.graph import CompiledGraph
from unilink.network.hose import SiteRate, hose_tree
from unilink.network.ledger import CapacityLedger
from unilink.store.db import Store
from unilink.store.tenancy import add_tenant

M = 10**6
# (site, PoP, technology, port, down, up): a fibre HQ, then FTTH, VDSL2 and ADSL2+ branches.
SITES = [("hq", "Paris", "fibre", "10G", "1G", "1G"),
         ("lyon", "Lyon", "ftth", "1G", "500M", "200M"),
         ("slough", "Slough", "ftth", "1G", "500M", "75M"),
         ("hamburg", "Hamburg", "vdsl2", "100M", "100M", "40M"),
         ("marseille", "Marseille", "adsl2+", "20M", "20M", "1M")]
RATES = {"hq": (400 * M, 400 * M), "lyon": (500 * M, 200 * M), "slough": (300 * M, 45 * M),
         "hamburg": (100 * M, 40 * M), "marseille": (20 * M, 1 * M)}  # the member rates, and _up() of each


def intent() -> dict[str, Any]:
    return {
        "sites": [{"name": name, "pop": pop, "access": {"technology": tech, "port": port, "down": down, "up": up}}
                  for name, pop, tech, port, down, up in SITES],
        "services": [{"kind": "ipvpn", "name": "corp",
                      "members": [{"site": name, "rate": f"{RATES[name][0] // M}M"} for name, *_ in SITES]}],
    }


@pytest.fixture
def sample(store: Store) -> Store:
    store.replace_network(load_sample_network())
    with store.session() as session:
        add_tenant(session, "acme", "enterprise", "ACME Industries")
    return store


def test_an_asymmetric_vpn_books_less_than_the_symmetric_hose(sample: Store) -> None:
    go(sample, "acme", intent(), NOW, accesses_installed=True)
    rows = booked(sample, "svc:corp")["svc:corp"]
    graph = CompiledGraph.compile(load_sample_network())
    pop_of = {name: pop for name, pop, *_ in SITES}

    def arcs_by_link(arc_bps: dict[int, int]) -> set[tuple[str, str, int]]:
        return {(graph.arc_name(arc)[0], "ab" if arc % 2 == 0 else "ba", bps) for arc, bps in arc_bps.items()}

    # What the engine booked is the asymmetric hose tree of the members' (down, up), on the empty backbone ...
    asymmetric = hose_tree(graph, CapacityLedger(graph), {pop_of[s]: SiteRate(*RATES[s]) for s in RATES})
    assert set(rows) == arcs_by_link(asymmetric.arc_bps)
    # ... direction by direction: towards Marseille its 20M down at most, from it its 1M up.
    marseille = {(link, d): bps for link, d, bps in rows if "Marseille" in link}
    assert marseille and max(marseille.values()) <= 20 * M and min(marseille.values()) <= 1 * M
    # Before, every PoP counted with max(down, up) both ways: strictly more in total, and never less per link.
    symmetric = hose_tree(graph, CapacityLedger(graph), {pop_of[s]: max(RATES[s]) for s in RATES})
    total = sum(bps for _, _, bps in rows)
    assert total < sum(symmetric.arc_bps.values())
    assert asymmetric.tree_cost < symmetric.tree_cost
    if asymmetric.root == symmetric.root:  # the same tree: each arc books at most what it did
        assert all(bps <= symmetric.arc_bps[arc] for arc, bps in asymmetric.arc_bps.items())
