"""Hose-model VPN trees: optimal against brute force, never dearer than the pipe model, capacity-aware."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from network_testkit import build_network

from unilink.errors import InfeasibleError, NotFoundError, ValidationError
from unilink.network.graph import CompiledGraph
from unilink.network.hose import hose_tree
from unilink.network.ledger import CapacityLedger

M = 10**6


def star_with_ring():
    """Hub N0 joined to N1..N4 (1 ms each); a ring N1-N2-N3-N4-N1 of 3 ms links."""
    edges = [(0, i, 1, 10 * M * 100) for i in range(1, 5)] + [(1, 2, 3, 1000 * M), (2, 3, 3, 1000 * M),
                                                            (3, 4, 3, 1000 * M), (4, 1, 3, 1000 * M)]
    return CompiledGraph.compile(build_network(5, edges))


def test_the_tree_reserves_min_of_both_sides_and_beats_the_pipe_model():
    graph = star_with_ring()
    tree = hose_tree(graph, None, {"N1": 100 * M, "N2": 100 * M, "N3": 100 * M, "N4": 300 * M})
    assert tree.root == "N0"  # the hub: every site one hop away
    assert {(e.link, e.child, e.reserved_bps) for e in tree.edges} == {
        ("L0", "N1", 100 * M), ("L1", "N2", 100 * M), ("L2", "N3", 100 * M), ("L3", "N4", 300 * M)}
    assert tree.tree_cost == 600 * M  # bit/s × ms
    # pipes: 3 pairs among the 100M sites + 3 pairs with the 300M one, each min = 100M, 2 ms / 2 hops
    assert tree.pipe_cost == 6 * 100 * M * 2 and tree.pipe_reserved_bps == 6 * 100 * M * 2
    assert tree.saving == pytest.approx(0.5)
    assert tree.arc_bps[0] == tree.arc_bps[1] == 100 * M  # both directions of L0


def test_capacity_aware_root_choice_and_the_reservation_fits():
    graph = star_with_ring()
    ledger = CapacityLedger(graph)
    ledger.reserve({0: 950 * M}, service_id="busy")  # L0 N0→N1 has 50M left: the hub tree no longer fits
    tree = hose_tree(graph, ledger, {"N1": 100 * M, "N2": 100 * M, "N3": 100 * M})
    assert "L0" not in {e.link for e in tree.edges}
    ledger.reserve(tree.arc_bps, service_id="vpn")  # what the tree asks really fits


def test_nothing_fits_names_the_bottleneck():
    graph = CompiledGraph.compile(build_network(3, [(0, 1, 1, 100 * M), (1, 2, 1, 100 * M)]))
    with pytest.raises(InfeasibleError) as info:
        hose_tree(graph, None, {"N0": 500 * M, "N2": 200 * M})
    assert info.value.details["reason"] == "capacity"
    assert {b["link"] for b in info.value.details["bottleneck"]} == {"L0", "L1"}
    assert all(b["asked_bps"] == 200 * M for b in info.value.details["bottleneck"])


def test_bad_sites_are_refused():
    graph = star_with_ring()
    with pytest.raises(NotFoundError):
        hose_tree(graph, None, {"Atlantis": M})
    with pytest.raises(ValidationError):
        hose_tree(graph, None, {"N1": 0})
    with pytest.raises(ValidationError):
        hose_tree(graph, None, {})
    single = hose_tree(graph, None, [("N1", M), ("N1", 2 * M)])
    assert single.edges == () and single.tree_cost == 0


@st.composite
def connected_graphs(draw):
    n = draw(st.integers(2, 6))
    edges = {}
    for v in range(1, n):  # a random spanning tree keeps it connected
        edges[(draw(st.integers(0, v - 1)), v)] = draw(st.integers(1, 9))
    for a, b in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=5)):
        if a != b and (min(a, b), max(a, b)) not in edges:
            edges[(min(a, b), max(a, b))] = draw(st.integers(1, 9))
    rates = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n).filter(lambda r: sum(x > 0 for x in r) >= 2))
    return n, [(a, b, w, 10**6) for (a, b), w in sorted(edges.items())], rates


def brute_force_tree_cost(n, edges, rates):
    total = sum(rates)
    best = None
    for subset in itertools.combinations(edges, n - 1):
        tree = nx.Graph()
        tree.add_nodes_from(range(n))
        tree.add_edges_from((a, b, {"w": w}) for a, b, w, _ in subset)
        if not nx.is_tree(tree):
            continue
        cost = 0
        for a, b, w, _ in subset:
            tree.remove_edge(a, b)
            side = sum(rates[v] for v in nx.node_connected_component(tree, a))
            tree.add_edge(a, b, w=w)
            cost += min(side, total - side) * w
        best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=150, deadline=None)
@given(connected_graphs())
def test_the_tree_equals_the_best_tree_by_brute_force_and_never_exceeds_the_pipe_model(case):
    n, edges, rates = case
    graph = CompiledGraph.compile(build_network(n, edges))
    sites = [(f"N{i}", r) for i, r in enumerate(rates) if r > 0]
    tree = hose_tree(graph, None, sites)
    assert tree.tree_cost == pytest.approx(brute_force_tree_cost(n, edges, rates))
    assert tree.tree_cost <= tree.pipe_cost + 1e-9
    assert sum(tree.arc_bps.values()) == 2 * tree.tree_reserved_bps
