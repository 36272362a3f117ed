"""Asymmetric hose trees (Duffield et al., SIGCOMM 1999): per-direction bookings, oracles and capacity.

Oracles, independent of the code under test:
- the tree: brute force over every spanning tree of small graphs (Steiner nodes included, with no rate),
  keeping those that are a shortest-path tree from some root — the candidates the heuristic ranks —
  and the overall best tree, a lower bound (the asymmetric tree problem is NP-hard);
- the booking: per arc, an LP over the traffic matrices the hose allows (each site sends at most its
  up rate and receives at most its down rate), routed on the tree: the largest traffic the arc can
  ever carry. The booking must equal it — never below (no overselling), never above (no waste).
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from network_testkit import build_network
from scipy.optimize import linprog

from unilink.errors import InfeasibleError, ValidationError
from unilink.network.graph import CompiledGraph
from unilink.network.hose import SiteRate, hose_tree
from unilink.network.ledger import CapacityLedger, TreeRoute
from unilink.network.whatif import fail

M = 10**6


def star_with_ring() -> CompiledGraph:
    """Hub N0 joined to N1..N4 (1 ms, 1G each); a ring N1-N2-N3-N4-N1 of 3 ms links."""
    edges = [(0, i, 1, 1000 * M) for i in range(1, 5)] + [(1, 2, 3, 1000 * M), (2, 3, 3, 1000 * M),
                                                        (3, 4, 3, 1000 * M), (4, 1, 3, 1000 * M)]
    return CompiledGraph.compile(build_network(5, edges))


def test_each_direction_books_what_its_senders_and_receivers_allow():
    graph = star_with_ring()
    adsl, fibre = SiteRate(down=20 * M, up=1 * M), (100 * M, 100 * M)
    tree = hose_tree(graph, None, {"N1": adsl, "N2": fibre, "N3": fibre})
    assert tree.root == "N0"
    by_child = {e.child: (e.link, e.reserved_bps, e.reverse_bps) for e in tree.edges}
    # Towards the ADSL site: at most what it can receive (20M); from it: its 1M upstream.
    assert by_child["N1"] == ("L0", 20 * M, 1 * M)
    # Towards N2: its 100M down (N1 + N3 could send 101M); from N2: its 100M up (N1 + N3 receive 120M).
    assert by_child["N2"] == ("L1", 100 * M, 100 * M)
    assert tree.arc_bps[0] == 20 * M and tree.arc_bps[1] == 1 * M  # arc 0 = N0 → N1, arc 1 = N1 → N0
    assert sum(tree.arc_bps.values()) == sum(e.reserved_bps + e.reverse_bps for e in tree.edges)
    assert tree.tree_cost == pytest.approx((20 + 1 + 200 + 200) * M / 2)  # per direction: half of both, 1 ms each
    symmetric = hose_tree(graph, None, {"N1": 20 * M, "N2": 100 * M, "N3": 100 * M})  # what max(down, up) booked
    assert tree.tree_cost < symmetric.tree_cost


def test_the_tree_fits_free_capacity_direction_by_direction():
    graph = star_with_ring()
    sites = {"N1": (10 * M, 100 * M), "N2": (100 * M, 100 * M), "N3": (100 * M, 100 * M)}
    towards_n1 = CapacityLedger(graph)
    towards_n1.reserve({0: 950 * M}, service_id="busy")  # N0 → N1 has 50M left: enough for N1's 10M down
    tree = hose_tree(graph, towards_n1, sites)
    assert "L0" in {e.link for e in tree.edges} and tree.optimal
    towards_n1.reserve(tree.arc_bps, service_id="vpn")  # what the tree asks really fits
    with pytest.raises(InfeasibleError):  # the symmetric hose over max(down, up) needed 100M there
        towards_n1.reserve({0: 100 * M}, service_id="symmetric")
    from_n1 = CapacityLedger(graph)
    from_n1.reserve({1: 950 * M}, service_id="busy")  # N1 → N0 has 50M left: not enough for N1's 100M up
    tree = hose_tree(graph, from_n1, sites)
    assert "L0" not in {e.link for e in tree.edges}
    from_n1.reserve(tree.arc_bps, service_id="vpn")


def test_symmetric_pairs_give_exactly_the_symmetric_tree():
    graph = star_with_ring()
    rates = {"N1": 100 * M, "N2": 100 * M, "N3": 100 * M, "N4": 300 * M}
    plain = hose_tree(graph, None, rates)
    pairs = hose_tree(graph, None, {pop: (bps, bps) for pop, bps in rates.items()})
    assert pairs == plain and all(e.reverse_bps == e.reserved_bps for e in plain.edges)
    assert plain.to_dict()["edges"][0]["reverse_bps"] == plain.edges[0].reserved_bps


def test_bad_rate_pairs_are_refused():
    graph = star_with_ring()
    for bad in [(0, 0), (-1, 5), (True, 5), (5, 1.5), (1, 2, 3)]:
        with pytest.raises(ValidationError) as info:
            hose_tree(graph, None, {"N1": bad, "N2": (M, M)})
        assert info.value.field == "sites[N1].bps"
    send_only = hose_tree(graph, None, {"N1": (0, 5 * M), "N2": (5 * M, 0)})  # one way only: allowed
    assert send_only.arc_bps == {1: 5 * M, 2: 5 * M}  # N1 → N0 → N2, nothing back


# -- property tests on small graphs ----------------------------------------------------------------------------


@st.composite
def asymmetric_cases(draw):
    """Connected graphs whose shortest paths are unique (distinct power-of-two latencies: distinct sums),
    so each root has exactly one shortest-path tree, and (down, up) per node (0, 0 = no site)."""
    n = draw(st.integers(2, 6))
    pairs = [(draw(st.integers(0, v - 1)), v) for v in range(1, n)]  # a random spanning tree: connected
    for a, b in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=5)):
        if a != b and (min(a, b), max(a, b)) not in pairs and (max(a, b), min(a, b)) not in pairs:
            pairs.append((min(a, b), max(a, b)))
    exponents = draw(st.permutations(range(len(pairs))))
    edges = [(a, b, 2 ** k, 10**6) for (a, b), k in zip(pairs, exponents, strict=True)]
    rate = st.integers(0, 6)
    rates = draw(st.lists(st.tuples(rate, rate), min_size=n, max_size=n)
                 .filter(lambda r: sum(d + u > 0 for d, u in r) >= 2))
    return n, edges, rates


def side_sums(tree: nx.Graph, a: int, b: int, rates: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    """(down on a's side, up on a's side, down on b's side, up on b's side) once edge a-b is cut."""
    data = tree.edges[a, b]
    tree.remove_edge(a, b)
    side = nx.node_connected_component(tree, a)
    tree.add_edge(a, b, **data)
    down_a, up_a = sum(rates[v][0] for v in side), sum(rates[v][1] for v in side)
    return down_a, up_a, sum(d for d, _ in rates) - down_a, sum(u for _, u in rates) - up_a


def tree_cost(tree: nx.Graph, weight: dict[frozenset[int], int], rates: list[tuple[int, int]]) -> float:
    """Per-direction cost of the asymmetric hose on `tree`: Σ (a → b + b → a) × latency / 2."""
    cost = 0
    for a, b in tree.edges:
        down_a, up_a, down_b, up_b = side_sums(tree, a, b, rates)
        cost += (min(up_a, down_b) + min(up_b, down_a)) * weight[frozenset((a, b))]
    return cost / 2


def spanning_trees(n: int, edges: list[tuple[int, int, int, int]]):
    for subset in itertools.combinations(edges, n - 1):
        tree = nx.Graph()
        tree.add_nodes_from(range(n))
        tree.add_edges_from((a, b, {"w": w}) for a, b, w, _ in subset)
        if nx.is_tree(tree):
            yield tree


def is_shortest_path_tree(tree: nx.Graph, graph: nx.Graph) -> bool:
    for root in graph.nodes:
        in_graph = nx.single_source_dijkstra_path_length(graph, root, weight="w")
        on_tree = nx.single_source_dijkstra_path_length(tree, root, weight="w")
        if in_graph == on_tree:
            return True
    return False


def lp_worst_case(pairs: list[tuple[int, int]], crossing: list[bool], rates: list[tuple[int, int]]) -> int:
    """max Σ_{(i, j) crossing} D_ij over D ≥ 0 with Σ_j D_ij ≤ up_i and Σ_i D_ij ≤ down_j (the hose)."""
    if not any(crossing):
        return 0
    sites = sorted({i for pair in pairs for i in pair})
    rows, bounds = [], []
    for s in sites:
        rows.append([1.0 if i == s else 0.0 for i, _ in pairs])  # what s sends
        bounds.append(rates[s][1])
        rows.append([1.0 if j == s else 0.0 for _, j in pairs])  # what s receives
        bounds.append(rates[s][0])
    answer = linprog(c=[-1.0 if x else 0.0 for x in crossing], A_ub=rows, b_ub=bounds, bounds=(0, None),
                     method="highs")
    assert answer.status == 0
    return round(-answer.fun)  # a transportation polytope: integral vertices


@settings(max_examples=120, deadline=None)
@given(asymmetric_cases())
def test_asymmetric_tree_against_brute_force_and_the_hose_lp(case):
    n, edges, rates = case
    graph = CompiledGraph.compile(build_network(n, edges))
    sites = [(f"N{i}", (d, u)) for i, (d, u) in enumerate(rates) if d + u > 0]
    tree = hose_tree(graph, None, sites)

    full = nx.Graph()
    full.add_weighted_edges_from(((a, b, w) for a, b, w, _ in edges), weight="w")
    weight = {frozenset((a, b)): w for a, b, w, _ in edges}
    costs = [(tree_cost(t, weight, rates), is_shortest_path_tree(t, full)) for t in spanning_trees(n, edges)]
    # The best of the shortest-path trees, exactly; never better than the best tree of all (NP-hard in general).
    assert tree.tree_cost == pytest.approx(min(c for c, spt in costs if spt))
    assert tree.tree_cost >= min(c for c, _ in costs) - 1e-9

    # The chosen tree is the root's (unique) shortest-path tree; route every ordered pair of sites on it.
    root = int(tree.root[1:])
    chosen = nx.Graph()
    chosen.add_nodes_from(range(n))
    for v, path in nx.single_source_dijkstra_path(full, root, weight="w").items():
        if v != root:
            chosen.add_edge(path[-2], v)
    assert {(e.parent, e.child) for e in tree.edges} <= {(f"N{a}", f"N{b}") for a, b in nx.bfs_edges(chosen, root)}
    members = [i for i, (d, u) in enumerate(rates) if d + u > 0]
    pairs = [(i, j) for i in members for j in members if i != j]
    routes = {(i, j): list(zip(p, p[1:], strict=False)) for (i, j) in pairs for p in [nx.shortest_path(chosen, i, j)]}
    arc_of = {(a, b): 2 * k for k, (a, b, _, _) in enumerate(edges)} | {(b, a): 2 * k + 1
                                                                       for k, (a, b, _, _) in enumerate(edges)}
    for (a, b) in chosen.edges:
        for u, v in ((a, b), (b, a)):
            worst = lp_worst_case(pairs, [(u, v) in routes[p] for p in pairs], rates)
            assert tree.arc_bps.get(arc_of[(u, v)], 0) == worst, (u, v)  # never below, never above
            # ... and never above the symmetric hose over max(down, up) on the same tree.
            down_u, up_u, down_v, up_v = side_sums(chosen, u, v, [(max(d, x), max(d, x)) for d, x in rates])
            assert worst <= min(up_u, down_v)

    symmetric = hose_tree(graph, None, [(pop, max(d, u)) for pop, (d, u) in sites])
    assert tree.tree_cost <= symmetric.tree_cost + 1e-9
    if all(d == u for d, u in rates):
        assert tree == hose_tree(graph, None, [(pop, d) for pop, (d, _) in sites])


@settings(max_examples=60, deadline=None)
@given(asymmetric_cases(), st.integers(0, 2**32 - 1))
def test_capacity_aware_asymmetric_trees_fit_direction_by_direction(case, seed):
    """Random free capacity per arc: whatever tree comes back really fits, arc by arc."""
    n, edges, rates = case
    graph = CompiledGraph.compile(build_network(n, [(a, b, w, 12) for a, b, w, _ in edges]))
    ledger = CapacityLedger(graph)
    rng = np.random.default_rng(seed)
    ledger.reserve({arc: int(rng.integers(0, 13)) for arc in range(graph.arc_count)}, service_id="load")
    sites = [(f"N{i}", (d, u)) for i, (d, u) in enumerate(rates) if d + u > 0]
    try:
        tree = hose_tree(graph, ledger, sites)
    except InfeasibleError as exc:
        assert exc.details["bottleneck"]  # names the short links
        return
    ledger.reserve(tree.arc_bps, service_id="vpn")  # raises if any direction of any arc lacks room


def test_a_failure_regrows_an_asymmetric_tree_with_its_rates():
    """N0-N1-N3 (2+2 ms) and N0-N2-N3 (3+3 ms), all 1G: failing L1 moves the VPN onto N0-N2-N3, each way."""
    graph = CompiledGraph.compile(build_network(4, [(0, 1, 2, 1000 * M), (1, 3, 2, 1000 * M), (0, 2, 3, 1000 * M),
                                                    (2, 3, 3, 1000 * M)]))
    ledger = CapacityLedger(graph)
    sites = ((0, (400 * M, 400 * M)), (3, (20 * M, 1 * M)))
    tree = hose_tree(graph, ledger, sites)
    vpn = ledger.reserve(tree.arc_bps, service_id="vpn", route=TreeRoute(sites=sites))
    assert vpn.arc_bps == ((0, 20 * M), (1, 1 * M), (2, 20 * M), (3, 1 * M))  # towards N3 20M, back 1M
    report = fail(graph, ledger, links=["L1"], apply=True)
    assert [r.service_id for r in report.restored] == ["vpn"]
    assert ledger.get(vpn.id).arc_bps == ((4, 20 * M), (5, 1 * M), (6, 20 * M), (7, 1 * M))
