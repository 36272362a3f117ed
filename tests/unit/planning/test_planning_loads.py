"""ECMP link loads: checked by hand on small graphs, and against a plain-Python oracle on random ones."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from planning_helpers import make_network

from unilink.errors import ValidationError
from unilink.inventory.model import Demand
from unilink.planning.loads import ecmp_loads
from unilink.planning.problem import build_problem


def arc_load(problem, loads, a: str, b: str) -> float:
    """Total load from PoP a to PoP b over every link joining them."""
    total = 0.0
    for i, link in enumerate(problem.links):
        if (link.a, link.b) == (a, b):
            total += loads.arc_load_bps[2 * i]
        elif (link.b, link.a) == (a, b):
            total += loads.arc_load_bps[2 * i + 1]
    return total


def test_diamond_splits_equally_between_two_equal_paths():
    net = make_network([("A", "B"), ("A", "C"), ("B", "D"), ("C", "D")])
    problem = build_problem(net, [Demand("A", "D", 100), Demand("D", "A", 40)])
    loads = ecmp_loads(problem)
    for a, b in (("A", "B"), ("A", "C"), ("B", "D"), ("C", "D")):
        assert arc_load(problem, loads, a, b) == pytest.approx(50)
        assert arc_load(problem, loads, b, a) == pytest.approx(20)
    assert loads.max_utilization == pytest.approx(0.5)
    assert loads.unrouted_bps == 0


def test_diamond_with_a_longer_branch_uses_only_the_shortest():
    net = make_network([("A", "B", 10), ("A", "C", 11), ("B", "D", 10), ("C", "D", 10)])
    problem = build_problem(net, [Demand("A", "D", 100)])
    loads = ecmp_loads(problem)
    assert arc_load(problem, loads, "A", "B") == pytest.approx(100)
    assert arc_load(problem, loads, "A", "C") == 0


def test_ladder_splits_per_node_not_per_path():
    # A - B - C        three shortest paths A→F; ECMP halves at A, then halves again at B:
    # |   |   |        A→B 60, A→D 60, B→C 30, B→E 30, D→E 60, C→F 30, E→F 90
    # D - E - F        (a per-path split would give 40 to each path instead)
    net = make_network([("A", "B", 1), ("B", "C", 1), ("D", "E", 1), ("E", "F", 1),
                        ("A", "D", 1), ("B", "E", 1), ("C", "F", 1)], capacity_bps=1000)
    problem = build_problem(net, [Demand("A", "F", 120)])
    loads = ecmp_loads(problem)
    expected = {("A", "B"): 60, ("A", "D"): 60, ("B", "C"): 30, ("B", "E"): 30, ("D", "E"): 60,
                ("C", "F"): 30, ("E", "F"): 90}
    for (a, b), value in expected.items():
        assert arc_load(problem, loads, a, b) == pytest.approx(value), (a, b)
    assert loads.arc_load_bps.sum() == pytest.approx(120 * 3)  # every unit crosses three hops
    assert loads.max_utilization == pytest.approx(0.09)


def test_parallel_links_are_separate_next_hops():
    net = make_network([("A", "B", 10), ("A", "B", 10), ("A", "B", 20)])
    problem = build_problem(net, [Demand("A", "B", 100)])
    loads = ecmp_loads(problem)
    assert loads.arc_load_bps[[0, 2, 4]].tolist() == pytest.approx([50, 50, 0])


def test_failure_reroutes_around_a_ring():
    net = make_network([("A", "B"), ("B", "C"), ("C", "D"), ("D", "A")])
    problem = build_problem(net, [Demand("A", "B", 80)])
    assert arc_load(problem, ecmp_loads(problem), "A", "B") == pytest.approx(80)
    after = ecmp_loads(problem, failed_links=[0])
    assert arc_load(problem, after, "A", "B") == 0
    for a, b in (("A", "D"), ("D", "C"), ("C", "B")):
        assert arc_load(problem, after, a, b) == pytest.approx(80)
    assert after.failed_links == (0,)


def test_disconnected_demand_is_reported_not_dropped_silently():
    net = make_network([("A", "B"), ("C", "D")])
    problem = build_problem(net, [Demand("A", "B", 10), Demand("A", "D", 30)])
    loads = ecmp_loads(problem)
    assert loads.unrouted_bps == pytest.approx(30)
    assert loads.unrouted_pairs == (("A", "D"),)
    assert arc_load(problem, loads, "A", "B") == pytest.approx(10)


def test_unknown_pop_in_a_demand_is_refused_with_the_field():
    net = make_network([("A", "B")])
    with pytest.raises(ValidationError) as info:
        build_problem(net, [Demand("A", "Atlantis", 10)])
    assert info.value.field == "demands[0].dst"
    assert info.value.value == "Atlantis"


# -- random graphs against an independent, plain-Python ECMP -------------------------------------

def oracle_ecmp(names, links, demand):
    """Per destination: networkx distances, then push flow node by node in decreasing distance."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(len(names)))
    for i, (a, b, metric) in enumerate(links):
        graph.add_edge(a, b, key=2 * i, weight=metric)
        graph.add_edge(b, a, key=2 * i + 1, weight=metric)
    loads = np.zeros(2 * len(links))
    unrouted = 0.0
    for t in range(len(names)):
        dist = nx.single_source_dijkstra_path_length(graph.reverse(copy=True), t, weight="weight")
        flow = {u: float(demand[u, t]) for u in range(len(names))}
        for u in sorted(range(len(names)), key=lambda v: -dist.get(v, np.inf)):
            if u == t or flow[u] == 0:
                continue
            if u not in dist:
                unrouted += flow[u]
                continue
            hops = [(v, k) for _, v, k, w in graph.out_edges(u, keys=True, data="weight")
                    if v in dist and dist[u] == w + dist[v]]
            for v, k in hops:
                loads[k] += flow[u] / len(hops)
                flow[v] += flow[u] / len(hops)
    return loads, unrouted


@st.composite
def random_instances(draw):
    n = draw(st.integers(2, 7))
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=12))  # repeats = parallel links
    links = [(a, b, draw(st.integers(1, 4))) for a, b in chosen]  # small metrics: many equal-cost ties
    demand = np.array(draw(st.lists(st.lists(st.integers(0, 50), min_size=n, max_size=n), min_size=n, max_size=n)),
                      dtype=float)
    np.fill_diagonal(demand, 0)
    return n, links, demand


@settings(max_examples=150, deadline=None)
@given(random_instances())
def test_ecmp_matches_the_plain_python_oracle(instance):
    n, links, demand = instance
    names = [f"P{i}" for i in range(n)]
    net = make_network([(names[a], names[b], m) for a, b, m in links], pops=names)
    problem = build_problem(net, demand)
    loads = ecmp_loads(problem)
    expected, unrouted = oracle_ecmp(names, links, demand)
    assert np.allclose(loads.arc_load_bps, expected)
    assert loads.unrouted_bps == pytest.approx(unrouted)
    # Conservation: every routed bit/s crosses at least one arc, at most n-1 of them.
    routed = demand.sum() - unrouted
    assert routed - 1e-9 <= loads.arc_load_bps.sum() <= (n - 1) * routed + 1e-9
