"""Protected paths: link- and SRLG-disjoint, least total latency (min-cost-flow oracle)."""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import replace

import networkx as nx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from network_testkit import build_network, random_networks

from unilink.errors import InfeasibleError
from unilink.network.disjoint import find_disjoint_pair
from unilink.network.graph import CompiledGraph
from unilink.network.ledger import CapacityLedger

G = 10**9


def trap():
    """The classic trap: the shortest path N0-N1-N2-N3 blocks any disjoint partner; the best pair avoids it."""
    edges = [(0, 1, 1, 10 * G), (1, 2, 1, 10 * G), (2, 3, 1, 10 * G),  # L0..L2: the short middle route
             (0, 4, 2, 10 * G), (4, 2, 2, 10 * G),  # L3, L4
             (1, 5, 2, 10 * G), (5, 3, 2, 10 * G)]  # L5, L6
    return CompiledGraph.compile(build_network(6, edges))


def test_bhandari_escapes_the_trap_with_the_least_total_latency():
    graph = trap()
    pair = find_disjoint_pair(graph, CapacityLedger(graph), "N0", "N3", G)
    assert {pair.primary.links, pair.secondary.links} == {("L0", "L5", "L6"), ("L3", "L4", "L2")}
    assert pair.primary.latency_ms + pair.secondary.latency_ms == 10
    assert pair.method == "bhandari"
    assert pair.to_dict()["paths"][0][0] == "N0" and len(pair.to_dict()["latency_ms"]) == 2


def test_both_paths_need_the_bandwidth():
    graph = trap()
    ledger = CapacityLedger(graph)
    ledger.reserve({2 * 5: 9 * G}, service_id="busy")  # L5 N1→N5 has 1G left
    with pytest.raises(InfeasibleError) as info:
        find_disjoint_pair(graph, ledger, "N0", "N3", 2 * G)
    assert info.value.details["reason"] == "capacity"
    assert "L5" in {b["link"] for b in info.value.details["bottleneck"]}
    pair = find_disjoint_pair(graph, ledger, "N0", "N3", G)
    assert all(ledger.free_bps(a) >= G for p in (pair.primary, pair.secondary) for a in p.arcs)


def test_srlg_sharing_pairs_are_avoided():
    # Two cheap routes that share duct-X, one dear route that does not.
    edges = [(0, 1, 1, 10 * G), (1, 3, 1, 10 * G), (0, 2, 1, 10 * G), (2, 3, 1, 10 * G), (0, 3, 10, 10 * G)]
    graph = CompiledGraph.compile(build_network(4, edges, srlgs={0: ("duct-X",), 2: ("duct-X",)}))
    pair = find_disjoint_pair(graph, None, "N0", "N3", G)
    srlgs = [set().union(*(graph.link_srlgs[graph.link_index[lk]] for lk in p.links))
             for p in (pair.primary, pair.secondary)]
    assert not srlgs[0] & srlgs[1]
    assert pair.secondary.links == ("L4",) and pair.method == "k-primaries"
    unprotected = find_disjoint_pair(graph, None, "N0", "N3", G, srlg_disjoint=False)
    assert unprotected.primary.latency_ms + unprotected.secondary.latency_ms == 4


def test_a_single_point_of_failure_is_reported():
    graph = CompiledGraph.compile(build_network(3, [(0, 1, 1, 10 * G), (1, 2, 1, 10 * G), (1, 2, 5, 10 * G)]))
    with pytest.raises(InfeasibleError) as info:
        find_disjoint_pair(graph, None, "N0", "N2", G)
    assert info.value.details["reason"] == "unreachable" and "single point of failure" in str(info.value)


def min_cost_flow_oracle(graph: CompiledGraph, ledger: CapacityLedger, src: str, dst: str, asked: int) -> int | None:
    """Cost of 2 units of flow with unit arc capacities on the arcs with room both ways (networkx)."""
    flow = nx.MultiDiGraph()
    flow.add_nodes_from(graph.nodes)
    for arc in range(graph.arc_count):
        if ledger.free_bps(arc) >= asked and ledger.free_bps(arc ^ 1) >= asked:
            flow.add_edge(graph.nodes[graph.arc_src[arc]], graph.nodes[graph.arc_dst[arc]], capacity=1,
                          weight=int(graph.arc_latency_ms[arc]))
    flow.nodes[src]["demand"], flow.nodes[dst]["demand"] = -2, 2
    try:
        cost, _ = nx.network_simplex(flow)
    except nx.NetworkXUnfeasible:
        return None
    return cost


@settings(max_examples=150, deadline=None)
@given(random_networks(max_nodes=8, max_edges=18), st.lists(st.tuples(st.integers(0, 35), st.integers(1, 10)),
                                                            max_size=15), st.integers(1, 5), st.data())
def test_disjoint_pairs_are_disjoint_and_as_cheap_as_min_cost_flow(network, load, asked, data):
    graph = CompiledGraph.compile(network)
    ledger = CapacityLedger(graph)
    for arc, bps in load:
        if arc < graph.arc_count:
            with contextlib.suppress(InfeasibleError):
                ledger.reserve({arc: bps}, service_id="load")
    src = data.draw(st.sampled_from(graph.nodes))
    dst = data.draw(st.sampled_from([n for n in graph.nodes if n != src]))
    expected = min_cost_flow_oracle(graph, ledger, src, dst, asked)
    try:
        pair = find_disjoint_pair(graph, ledger, src, dst, asked)
    except InfeasibleError:
        assert expected is None
        return
    assert expected is not None
    assert pair.primary.latency_ms + pair.secondary.latency_ms == pytest.approx(expected)
    assert not set(pair.primary.links) & set(pair.secondary.links)
    for path in (pair.primary, pair.secondary):
        assert path.nodes[0] == src and path.nodes[-1] == dst and len(set(path.nodes)) == len(path.nodes)
        assert all(ledger.free_bps(a) >= asked and ledger.free_bps(a ^ 1) >= asked for a in path.arcs)


@settings(max_examples=120, deadline=None)
@given(random_networks(max_nodes=6, max_edges=10), st.data())
def test_srlg_disjoint_pairs_match_brute_force_on_small_graphs(network, data):
    """With at most 16 simple paths the k-primaries search sees them all, so it must be exact."""
    groups = data.draw(st.lists(st.sampled_from(["", "duct-1", "duct-2"]), min_size=len(network.links),
                                max_size=len(network.links)))
    network.links = [replace(link, srlgs=(g,) if g else ()) for link, g in zip(network.links, groups, strict=True)]
    graph = CompiledGraph.compile(network)
    src = data.draw(st.sampled_from(graph.nodes))
    dst = data.draw(st.sampled_from([n for n in graph.nodes if n != src]))
    multigraph = nx.MultiGraph()
    multigraph.add_nodes_from(graph.nodes)
    for link in network.links:
        multigraph.add_edge(link.a, link.b, key=link.name, lat=link.latency_ms, srlgs=set(link.srlgs))
    paths = list(nx.all_simple_edge_paths(multigraph, src, dst))
    assume(len(paths) <= 16)
    best = None
    for p, q in itertools.combinations(paths, 2):
        links_p, links_q = {e[2] for e in p}, {e[2] for e in q}
        risk_p = set().union(*(multigraph.edges[e]["srlgs"] for e in p))
        risk_q = set().union(*(multigraph.edges[e]["srlgs"] for e in q))
        if not links_p & links_q and not risk_p & risk_q:
            cost = sum(multigraph.edges[e]["lat"] for e in p) + sum(multigraph.edges[e]["lat"] for e in q)
            best = cost if best is None else min(best, cost)
    try:
        pair = find_disjoint_pair(graph, None, src, dst, 1)
    except InfeasibleError:
        assert best is None
        return
    risks = [set().union(*(graph.link_srlgs[graph.link_index[lk]] for lk in p.links)) for p in (pair.primary,
                                                                                                pair.secondary)]
    assert not set(pair.primary.links) & set(pair.secondary.links) and not risks[0] & risks[1]
    assert best is not None and pair.primary.latency_ms + pair.secondary.latency_ms == pytest.approx(best)
