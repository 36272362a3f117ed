"""Synthetic link capacities for backbones whose operators never published them.

Topology Zoo carriers (Interoute among them) give the map, not the line rates. The sample network
needs capacities, so we assign them by a documented, deterministic rule — and call them synthetic:

- a link that lies on a cycle (it is not a *bridge*: removing it leaves its ends connected) belongs
  to a protected ring → `ring_bps` (100 Gbit/s by default);
- a bridge is a spur: nothing protects it, operators build such tails thinner → `spur_bps` (10 Gbit/s).

Being on a cycle is the same as lying in a 2-edge-connected component. Parallel links between the
same two PoPs form a cycle of their own, so they are never bridges — but importers have usually
merged parallel edges into one link already: Interoute's two London–Dublin cables are one link
here, a bridge, hence 10G (as is London–New York).
"""

from __future__ import annotations

import dataclasses

from unilink.inventory.model import Network

RING_BPS = 100 * 10**9
SPUR_BPS = 10 * 10**9


def bridges(network: Network) -> set[str]:
    """Names of the links whose removal disconnects their two PoPs (iterative Tarjan, O(V + E))."""
    adjacency: dict[str, list[tuple[str, int]]] = {p.name: [] for p in network.pops}
    for index, link in enumerate(network.links):
        adjacency[link.a].append((link.b, index))
        adjacency[link.b].append((link.a, index))
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    found: set[str] = set()
    counter = 0
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = counter
        counter += 1
        # Each frame: (node, index of the link we came by, iterator over its neighbours).
        stack = [(root, -1, iter(adjacency[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for nxt, link_index in neighbours:
                if link_index == via:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                else:
                    order[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append((nxt, link_index, iter(adjacency[nxt])))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent]:
                    found.add(network.links[via].name)
    return found


def assign_ring_capacities(network: Network, *, ring_bps: int = RING_BPS, spur_bps: int = SPUR_BPS) -> Network:
    """A copy of `network` whose links carry `ring_bps` on cycles and `spur_bps` on bridges."""
    spurs = bridges(network)
    links = [dataclasses.replace(lk, capacity_bps=spur_bps if lk.name in spurs else ring_bps)
             for lk in network.links]
    return Network(name=network.name, pops=list(network.pops), routers=list(network.routers), links=links,
                   interconnects=list(network.interconnects))
