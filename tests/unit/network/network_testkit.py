"""Small helpers for the network tests: build `Network`s by hand or at random, and networkx oracles."""

from __future__ import annotations

import networkx as nx
from hypothesis import strategies as st

from unilink.inventory.model import Link, Network, Pop


def build_network(node_count: int, edges: list[tuple[int, int, int, int]], *,
                  srlgs: dict[int, tuple[str, ...]] | None = None, igp: dict[int, int] | None = None) -> Network:
    """Nodes N0..N{n-1}; edges (a, b, latency_ms, capacity_bps) become links L0, L1, ... in that order."""
    pops = [Pop(name=f"N{i}", city=f"City {i}", country="FR", lat=40 + i * 0.1, lon=2 + i * 0.1)
            for i in range(node_count)]
    links = [Link(name=f"L{i}", a=f"N{a}", b=f"N{b}", capacity_bps=cap, length_km=lat * 200.0,
                  latency_ms=float(lat), igp_metric=(igp or {}).get(i, max(1, int(lat))),
                  srlgs=(srlgs or {}).get(i, ()))
             for i, (a, b, lat, cap) in enumerate(edges)]
    return Network(name="test", pops=pops, links=links)


@st.composite
def random_networks(draw, *, min_nodes: int = 2, max_nodes: int = 9, max_edges: int = 20,
                    capacities: tuple[int, ...] = (1, 2, 5, 10)) -> Network:
    """Random multigraphs with integer latencies (1..20 ms) and small integer capacities."""
    n = draw(st.integers(min_nodes, max_nodes))
    pair = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    raw = draw(st.lists(st.tuples(pair, st.integers(1, 20), st.sampled_from(capacities)), max_size=max_edges))
    edges = [(a, b, lat, cap) for (a, b), lat, cap in raw]
    return build_network(n, edges)


def oracle_graph(network: Network, *, min_capacity: int = 0, free: dict[str, int] | None = None,
                 weight: str = "latency") -> nx.Graph:
    """A simple undirected networkx graph keeping, per PoP pair, the cheapest link with enough room."""
    graph = nx.Graph()
    graph.add_nodes_from(p.name for p in network.pops)
    for link in network.links:
        room = link.capacity_bps if free is None else free[link.name]
        if room < min_capacity:
            continue
        w = link.latency_ms if weight == "latency" else link.igp_metric
        if graph.has_edge(link.a, link.b) and graph[link.a][link.b]["w"] <= w:
            continue
        graph.add_edge(link.a, link.b, w=w, link=link.name)
    return graph
