"""The min-MLU LP against independent answers: hand-computed, max-flow, and a per-demand path LP."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from planning_helpers import make_network
from scipy.optimize import linprog

from unilink.errors import InfeasibleError
from unilink.inventory.model import Demand
from unilink.planning.loads import ecmp_loads
from unilink.planning.lp import optimal_loads
from unilink.planning.problem import build_problem
from unilink.planning.reductions import biconnected_blocks, degree_two_chains, prune_stubs


def test_two_unequal_paths_share_in_proportion_to_capacity():
    # A→B direct (cap 100) and A→C→B (cap 300): 200 units fit at 50 % by sending 50 direct, 150 around.
    net = make_network([("A", "B", 1, 100), ("A", "C", 1, 300), ("C", "B", 1, 300)])
    problem = build_problem(net, [Demand("A", "B", 200)])
    loads = optimal_loads(problem)
    assert loads.max_utilization == pytest.approx(0.5, abs=1e-7)
    assert loads.solver_mlu == pytest.approx(0.5, abs=1e-7)
    assert loads.arc_load_bps[0] == pytest.approx(50, abs=1e-4)
    # ECMP on these metrics sends all 200 direct: 200 %.
    assert ecmp_loads(problem).max_utilization == pytest.approx(2.0)


def test_no_demand_means_zero_utilisation():
    problem = build_problem(make_network([("A", "B")]), [])
    assert optimal_loads(problem).max_utilization == 0


def test_disconnected_demand_is_refused_naming_the_pair():
    net = make_network([("A", "B"), ("C", "D")])
    with pytest.raises(InfeasibleError) as info:
        optimal_loads(build_problem(net, [Demand("A", "D", 5)]))
    assert "A to D" in str(info.value)
    assert info.value.details["unroutable"] == [["A", "D"]]


# -- independent formulations -----------------------------------------------------------------------

def multigraph(names, links):
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(len(names)))
    for i, (a, b, _metric, capacity) in enumerate(links):
        graph.add_edge(a, b, key=2 * i, capacity=capacity)
        graph.add_edge(b, a, key=2 * i + 1, capacity=capacity)
    return graph


def path_lp_mlu(names, links, demand) -> float:
    """Per-demand (disaggregated) path formulation: a variable per (demand, simple path)."""
    graph = multigraph(names, links)
    arc_capacity = np.repeat([c for *_, c in links], 2).astype(float)
    columns: list[tuple[int, list[int]]] = []  # (demand row, arcs of the path)
    pairs = [(s, t) for s in range(len(names)) for t in range(len(names)) if demand[s, t] > 0]
    for row, (s, t) in enumerate(pairs):
        for path in nx.all_simple_edge_paths(graph, s, t):
            columns.append((row, [key for _u, _v, key in path]))
    if not pairs:
        return 0.0
    k = len(columns)
    a_eq = np.zeros((len(pairs), k + 1))
    a_ub = np.zeros((arc_capacity.size, k + 1))
    for j, (row, arcs) in enumerate(columns):
        a_eq[row, j] = 1.0
        for arc in arcs:
            a_ub[arc, j] += 1.0
    a_ub[:, -1] = -arc_capacity
    cost = np.zeros(k + 1)
    cost[-1] = 1.0
    result = linprog(cost, A_ub=a_ub, b_ub=np.zeros(arc_capacity.size), A_eq=a_eq,
                     b_eq=np.array([demand[s, t] for s, t in pairs]), bounds=(0, None), method="highs")
    assert result.status == 0
    return float(result.x[-1])


def single_source_mlu_by_bisection(names, links, demand, source) -> float:
    """One source: U is feasible iff a max-flow with capacities U·c reaches every sink's demand."""
    graph = nx.DiGraph()
    for a, b, _metric, capacity in links:  # parallel links add up in a single-commodity flow
        for u, v in ((a, b), (b, a)):
            previous = graph.get_edge_data(u, v, {"capacity": 0})["capacity"]
            graph.add_edge(u, v, capacity=previous + capacity)
    total = demand[source].sum()
    for t in range(len(names)):
        if demand[source, t] > 0:
            graph.add_edge(t, "sink", capacity=float(demand[source, t]))

    def feasible(u: float) -> bool:
        scaled = nx.DiGraph()
        for a, b, data in graph.edges(data=True):
            scaled.add_edge(a, b, capacity=data["capacity"] * (u if b != "sink" else 1.0))
        return nx.maximum_flow_value(scaled, source, "sink") >= total * (1 - 1e-12)

    low, high = 0.0, 1.0
    while not feasible(high):
        high *= 2
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (low, mid) if feasible(mid) else (mid, high)
    return high


@st.composite
def connected_instances(draw, max_nodes=5):
    n = draw(st.integers(2, max_nodes))
    # A random spanning tree keeps every demand routable; extra links add path choices.
    links = [(draw(st.integers(0, v - 1)), v) for v in range(1, n)]
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    links += draw(st.lists(st.sampled_from(pairs), max_size=3))
    links = [(a, b, 1, draw(st.integers(1, 20)) * 10) for a, b in links]
    demand = np.array(draw(st.lists(st.lists(st.integers(0, 30), min_size=n, max_size=n), min_size=n, max_size=n)),
                      dtype=float)
    np.fill_diagonal(demand, 0)
    return n, links, demand


def as_problem(n, links, demand):
    names = [f"P{i}" for i in range(n)]
    net = make_network([(names[a], names[b], m, c) for a, b, m, c in links], pops=names)
    return names, build_problem(net, demand)


@settings(max_examples=60, deadline=None)
@given(connected_instances())
def test_source_aggregated_lp_equals_the_per_demand_path_lp(instance):
    n, links, demand = instance
    names, problem = as_problem(n, links, demand)
    loads = optimal_loads(problem)
    expected = path_lp_mlu(names, links, demand)
    assert loads.max_utilization == pytest.approx(expected, rel=1e-6, abs=1e-9)
    # Optimal routing never does worse than the IGP's.
    assert loads.max_utilization <= ecmp_loads(problem).max_utilization + 1e-9


@settings(max_examples=40, deadline=None)
@given(connected_instances(max_nodes=6), st.integers(0, 5))
def test_single_source_lp_equals_max_flow_bisection(instance, source_seed):
    n, links, demand = instance
    source = source_seed % n
    only_source = np.zeros_like(demand)
    only_source[source] = demand[source]
    names, problem = as_problem(n, links, only_source)
    loads = optimal_loads(problem)
    if only_source.sum() == 0:
        assert loads.max_utilization == 0
        return
    assert loads.max_utilization == pytest.approx(single_source_mlu_by_bisection(names, links, only_source, source),
                                                  rel=1e-6)


def test_reported_loads_respect_the_optimum_and_conserve_flow():
    rng = np.random.default_rng(7)
    names = [f"P{i}" for i in range(8)]
    edges = [(i, (i + 1) % 8) for i in range(8)] + [(0, 4), (2, 6), (1, 5)]
    links = [(a, b, 1, int(rng.integers(5, 50)) * 10) for a, b in edges]
    demand = rng.integers(0, 40, (8, 8)).astype(float)
    np.fill_diagonal(demand, 0)
    _, problem = as_problem(8, links, demand)
    loads = optimal_loads(problem)
    assert np.all(loads.arc_load_bps <= problem.arc_capacity_bps * loads.solver_mlu * (1 + 1e-6) + 1e-6)
    # Net outflow of each node = what it sends − what it receives.
    net_out = np.bincount(problem.arc_src, loads.arc_load_bps, 8) - np.bincount(problem.arc_dst, loads.arc_load_bps, 8)
    assert net_out == pytest.approx(demand.sum(axis=1) - demand.sum(axis=0), abs=1e-4)
    assert loads.max_utilization == pytest.approx(path_lp_mlu(names, links, demand), rel=1e-6)


def test_booked_background_load_stays_put_and_the_lp_routes_around_it():
    # Two 100-unit paths A→B: direct, and via C. 60 units are already booked on the direct arc.
    net = make_network([("A", "B", 1, 100), ("A", "C", 1, 100), ("C", "B", 1, 100)])
    background = np.zeros(6)
    background[0] = 60
    problem = build_problem(net, [Demand("A", "B", 100)]).with_background(background)
    loads = optimal_loads(problem)
    # Best: 20 direct (60 + 20 = 80) and 80 around: 80 % everywhere on the way.
    assert loads.max_utilization == pytest.approx(0.8, abs=1e-7)
    assert loads.arc_load_bps[0] == pytest.approx(80, abs=1e-4)
    # ECMP adds the background on top of its own shortest path: 160 %.
    assert ecmp_loads(problem).arc_load_bps[0] == pytest.approx(160)
    assert ecmp_loads(problem, failed_links=[0]).arc_load_bps[0] == 0  # a failed arc carries nothing


def test_stubs_are_pruned_with_their_forced_loads():
    # S hangs off A by two parallel links (100 and 300); A-B-C-A is a triangle.
    net = make_network([("S", "A", 1, 100), ("S", "A", 1, 300), ("A", "B", 1, 100), ("B", "C", 1, 100),
                        ("C", "A", 1, 100)])
    problem = build_problem(net, [Demand("S", "B", 200), Demand("C", "S", 40)])
    names = problem.node_index()
    pruned = prune_stubs(problem.node_count, problem.arc_src, problem.arc_dst, problem.arc_capacity_bps,
                         problem.demand_bps)
    assert names["S"] not in pruned.kept_nodes.tolist()
    # S sends 200 over 100 + 300: 50 and 150 (50 % each); receives 40: 10 and 30.
    assert pruned.forced_arc_bps[[0, 2]].tolist() == pytest.approx([50, 150])
    assert pruned.forced_arc_bps[[1, 3]].tolist() == pytest.approx([10, 30])
    loads = optimal_loads(problem)
    # Then A sends 200 to B over A-B (100) and A-C-B (100): 100 % on each; the stub links are at 50 %.
    assert loads.max_utilization == pytest.approx(1.0, abs=1e-7)
    assert loads.arc_load_bps[0] == pytest.approx(50)


def test_chains_lose_their_commodities_and_the_optimum_is_unchanged():
    # A ring of six with one chord 0-3: two chains of two-neighbour PoPs, 1-2 and 4-5, between 0 and 3.
    names = [f"P{i}" for i in range(6)]
    links = [(i, (i + 1) % 6, 1, 100 + 20 * i) for i in range(6)] + [(0, 3, 1, 150)]
    rng = np.random.default_rng(3)
    demand = rng.integers(1, 30, (6, 6)).astype(float)
    np.fill_diagonal(demand, 0)
    _, problem = as_problem(6, links, demand)
    chains = degree_two_chains(6, problem.arc_src, problem.arc_dst)
    assert sorted((sorted(c.nodes), {c.x, c.y}) for c in chains) == [([1, 2], {0, 3}), ([4, 5], {0, 3})]
    loads = optimal_loads(problem)
    assert loads.max_utilization == pytest.approx(path_lp_mlu(names, links, demand), rel=1e-7)
    net_out = np.bincount(problem.arc_src, loads.arc_load_bps, 6) - np.bincount(problem.arc_dst, loads.arc_load_bps, 6)
    assert net_out == pytest.approx(demand.sum(axis=1) - demand.sum(axis=0), abs=1e-6)


@pytest.mark.parametrize("size", [3, 4, 7])
def test_a_lone_ring_is_one_chain_anchored_at_a_pop(size):
    names = [f"P{i}" for i in range(size)]
    links = [(i, (i + 1) % size, 1, 50 + 10 * i) for i in range(size)]
    demand = np.random.default_rng(size).integers(0, 20, (size, size)).astype(float)
    np.fill_diagonal(demand, 0)
    _, problem = as_problem(size, links, demand)
    (chain,) = degree_two_chains(size, problem.arc_src, problem.arc_dst)
    assert chain.x == chain.y and len(chain.nodes) == size - 1
    assert optimal_loads(problem).max_utilization == pytest.approx(path_lp_mlu(names, links, demand), rel=1e-7)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 9).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] != e[1]),
                         min_size=1, max_size=14))))
def test_biconnected_blocks_match_networkx(instance):
    n, edges = instance
    a = np.array([e[0] for e in edges])
    b = np.array([e[1] for e in edges])
    mine = sorted(tuple(block.tolist()) for block in biconnected_blocks(n, a, b))
    graph = nx.MultiGraph()
    for k, (u, v) in enumerate(edges):
        graph.add_edge(u, v, key=k)
    # networkx works on simple graphs: parallel links belong to the block of their node pair.
    simple = nx.Graph(graph)
    expected = []
    for component in nx.biconnected_component_edges(simple):
        pairs = {frozenset(e) for e in component}
        expected.append(tuple(sorted(k for k, (u, v) in enumerate(edges) if frozenset((u, v)) in pairs)))
    assert mine == sorted(expected)
