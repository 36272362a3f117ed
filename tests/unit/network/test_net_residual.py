"""Admission at saturation: residual views, their bounds, A*, against networkx as the oracle."""

from __future__ import annotations

import contextlib
import math
import random

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from network_testkit import build_network

from unilink.errors import InfeasibleError
from unilink.inventory.model import Link, Network, Pop
from unilink.network import residual
from unilink.network.cspf import find_path
from unilink.network.graph import CompiledGraph
from unilink.network.ledger import NEVER, CapacityLedger
from unilink.network.residual import astar, distance_bound, metric_per_km, view_for
from unilink.units import great_circle_km

NOW = 1_800_000_000.0
HOUR = 3600.0


@contextlib.contextmanager
def views_at_once():
    """Build a view on the first miss (the default waits for ~arcs/16 misses, to pay for itself)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(residual, "build_after", lambda graph: 1)
        yield


@st.composite
def geo_networks(draw, max_nodes: int = 9, max_edges: int = 18) -> Network:
    """PoPs scattered over Europe; links whose latency is at least the great-circle distance at 5 µs/km
    (times a random detour factor), a few of them rounded below it, capacities 1-4 units of 10."""
    n = draw(st.integers(3, max_nodes))
    coords = draw(st.lists(st.tuples(st.floats(36, 60), st.floats(-9, 30)), min_size=n, max_size=n))
    pops = [Pop(name=f"N{i}", city="c", country="", lat=lat, lon=lon) for i, (lat, lon) in enumerate(coords)]
    pair = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    raw = draw(st.lists(st.tuples(pair, st.floats(1.0, 1.6), st.sampled_from((10, 20, 30, 40))), min_size=1,
                        max_size=max_edges))
    links = []
    for i, ((a, b), detour, cap) in enumerate(raw):
        km = great_circle_km(pops[a].lat, pops[a].lon, pops[b].lat, pops[b].lon)
        latency = round(km * 0.005 * detour, 2)  # rounding: some links are a hair under 5 µs/km
        links.append(Link(name=f"L{i}", a=pops[a].name, b=pops[b].name, capacity_bps=cap, length_km=km,
                          latency_ms=latency, igp_metric=max(1, int(latency))))
    return Network(name="geo", pops=pops, links=links)


def saturate(graph: CompiledGraph, rng: random.Random, count: int) -> CapacityLedger:
    """Book random open-ended and timed reservations (10 units each way) until the network is nearly full."""
    ledger = CapacityLedger(graph)
    for i in range(count):
        s, t = rng.sample(range(graph.node_count), 2)
        start, end = NOW, None
        if rng.random() < 0.4:
            start = NOW + rng.uniform(0, 48) * HOUR
            end = start + rng.uniform(1, 24) * HOUR
        with contextlib.suppress(InfeasibleError):
            path = find_path(graph, ledger, s, t, 10, start=start, end=end, explain=False)
            ledger.reserve(path.arc_bps(10), service_id=f"s{i}", start=start, end=end)
    return ledger


def oracle_cost(graph: CompiledGraph, ledger: CapacityLedger, s: int, t: int, bps: int, start: float,
                end: float, metric: str = "latency") -> float | None:
    """networkx Dijkstra over the links with `bps` free both ways over [start, end), read arc by arc."""
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.node_count))
    weights = graph.arc_latency_list if metric == "latency" else graph.arc_igp_list
    for arc in range(graph.arc_count):
        if ledger.free_bps(arc, start, end) >= bps and ledger.free_bps(arc ^ 1, start, end) >= bps:
            u, v = graph.arc_src_list[arc], graph.arc_dst_list[arc]
            if not g.has_edge(u, v) or g[u][v]["w"] > weights[arc]:
                g.add_edge(u, v, w=weights[arc])
    try:
        return nx.dijkstra_path_length(g, s, t, weight="w")
    except nx.NetworkXNoPath:
        return None


def check_answer(graph, ledger, s, t, bps, start, end, metric="latency"):
    expected = oracle_cost(graph, ledger, s, t, bps, start, end, metric)
    try:
        path = find_path(graph, ledger, s, t, bps, start=start, end=None if end == NEVER else end, metric=metric,
                         explain=False)
    except InfeasibleError:
        assert expected is None, (s, t, bps, start, end)
        return None
    assert expected is not None, (s, t, bps, start, end, path)
    cost = path.latency_ms if metric == "latency" else path.igp_metric
    assert math.isclose(cost, expected, rel_tol=1e-9, abs_tol=1e-9)
    nodes = [graph.node_index[n] for n in path.nodes]
    assert nodes[0] == s and nodes[-1] == t
    for arc, (u, v) in zip(path.arcs, zip(nodes, nodes[1:], strict=False), strict=True):
        assert (graph.arc_src_list[arc], graph.arc_dst_list[arc]) == (u, v)
        assert ledger.free_bps(arc, start, end) >= bps and ledger.free_bps(arc ^ 1, start, end) >= bps
    return path


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network=geo_networks(), seed=st.integers(0, 10**6), metric=st.sampled_from(("latency", "igp")))
def test_cspf_through_views_matches_networkx_on_saturated_instances(network, seed, metric):
    graph = CompiledGraph.compile(network)
    rng = random.Random(seed)
    ledger = saturate(graph, rng, 3 * len(network.links))
    with views_at_once():
        queries = []
        for _ in range(30):
            s, t = rng.sample(range(graph.node_count), 2)
            bps = rng.choice((5, 10, 20, 30))
            if rng.random() < 0.5:
                queries.append((s, t, bps, NOW, NEVER))
            else:
                start = NOW + rng.uniform(0, 72) * HOUR
                queries.append((s, t, bps, start, start + rng.uniform(0.5, 30) * HOUR))
        for query in queries:  # twice: the first open-ended miss builds the view, later ones read it
            check_answer(graph, ledger, *query, metric=metric)
        for query in queries:
            check_answer(graph, ledger, *query, metric=metric)


def test_a_view_is_built_only_after_misses_pay_for_it_and_goes_stale_on_a_write():
    network = build_network(4, [(0, 1, 2, 10), (1, 3, 2, 10), (0, 2, 3, 10), (2, 3, 3, 10)])
    graph = CompiledGraph.compile(network)
    ledger = CapacityLedger(graph)
    ledger.reserve({0: 10, 1: 10}, service_id="full", start=NOW)  # L0 full both ways: N0→N1→N3 blocked
    window = (NOW, NEVER)
    for _ in range(residual.build_after(graph) - 1):
        assert find_path(graph, ledger, "N0", "N3", 5, start=NOW).nodes == ("N0", "N2", "N3")
        assert view_for(ledger, window) is None
    assert find_path(graph, ledger, "N0", "N3", 5, start=NOW).nodes == ("N0", "N2", "N3")
    view = view_for(ledger, window)
    assert view is not None and view.version == ledger.version
    assert find_path(graph, ledger, "N0", "N3", 5, start=NOW).nodes == ("N0", "N2", "N3")  # read from the view
    ledger.reserve({4: 10, 5: 10}, service_id="more", start=NOW)  # L2 full as well
    assert view_for(ledger, window) is None  # the write made it stale
    with pytest.raises(InfeasibleError) as info:
        find_path(graph, ledger, "N0", "N3", 5, start=NOW)
    assert {b["link"] for b in info.value.details["bottleneck"]} == {"L0", "L2"}


def test_a_refusal_read_from_a_view_still_names_the_bottleneck():
    network = build_network(4, [(0, 1, 2, 10), (1, 3, 2, 10), (0, 2, 3, 10), (2, 3, 3, 10)])
    graph = CompiledGraph.compile(network)
    ledger = CapacityLedger(graph)
    ledger.reserve({0: 10, 1: 10, 4: 10, 5: 10}, service_id="full", start=NOW)  # L0 and L2: N0 cut off
    with views_at_once():
        with pytest.raises(InfeasibleError):
            find_path(graph, ledger, "N0", "N3", 5, start=NOW, explain=False)
        assert view_for(ledger, (NOW, NEVER)) is not None
        with pytest.raises(InfeasibleError) as info:
            find_path(graph, ledger, "N0", "N3", 5, start=NOW)
    details = info.value.details
    assert details["reason"] == "capacity"
    assert {b["link"] for b in details["bottleneck"]} == {"L0", "L2"}  # the minimum cut
    assert all(b["free_bps"] == 0 and b["asked_bps"] == 5 for b in details["bottleneck"])


def test_a_timed_window_reads_the_calendar_where_the_open_ended_bound_is_short():
    network = build_network(4, [(0, 1, 2, 10), (1, 3, 2, 10), (0, 2, 3, 10), (2, 3, 3, 10)])
    graph = CompiledGraph.compile(network)
    ledger = CapacityLedger(graph)
    ledger.reserve({0: 10, 1: 10}, service_id="evening", start=NOW + 10 * HOUR, end=NOW + 12 * HOUR)
    with views_at_once():
        # Open-ended from NOW: L0 is full in the evening, so the path goes round it (and builds the view).
        assert find_path(graph, ledger, "N0", "N3", 5, start=NOW).nodes == ("N0", "N2", "N3")
        assert view_for(ledger, (NOW, NEVER)) is not None
        # The morning fits on L0; the evening does not; the night after does again.
        assert find_path(graph, ledger, "N0", "N3", 5, start=NOW, end=NOW + 9 * HOUR).nodes == ("N0", "N1", "N3")
        assert find_path(graph, ledger, "N0", "N3", 5, start=NOW + 9 * HOUR,
                         end=NOW + 10.5 * HOUR).nodes == ("N0", "N2", "N3")
        assert find_path(graph, ledger, "N0", "N3", 5, start=NOW + 12 * HOUR,
                         end=NOW + 13 * HOUR).nodes == ("N0", "N1", "N3")


@settings(max_examples=150, deadline=None)
@given(network=geo_networks(), seed=st.integers(0, 10**6))
def test_room_from_brackets_the_free_capacity_of_every_later_window(network, seed):
    graph = CompiledGraph.compile(network)
    rng = random.Random(seed)
    ledger = saturate(graph, rng, 2 * len(network.links))
    t0 = NOW + rng.choice((-HOUR, 0.0, 5 * HOUR))
    low, high = ledger.room_from(t0)
    for _ in range(20):
        start = t0 + rng.uniform(0, 60) * HOUR
        end = NEVER if rng.random() < 0.3 else start + rng.uniform(0.1, 30) * HOUR
        bps = rng.choice((5, 10, 20, 30))
        for arc in range(graph.arc_count):
            free = ledger.free_bps(arc, start, end)
            assert low[arc] <= free <= high[arc]
            spans = ledger.short_spans(arc, bps, t0)
            assert clear(spans, start, end) == (free >= bps)
    assert (low == [ledger.free_bps(a, t0, None) for a in range(graph.arc_count)]).all()


def clear(spans: tuple[list[float], list[float]], start: float, end: float) -> bool:
    """Whether [start, end) meets none of the spans (by brute force)."""
    return all(not (s < end and start < e) for s, e in zip(*spans, strict=True))


def test_the_distance_bound_is_consistent_even_where_data_rounds_below_5_us_per_km():
    pops = [Pop("A", "a", "", 48.85, 2.35), Pop("B", "b", "", 45.76, 4.84), Pop("C", "c", "", 43.30, 5.37)]
    km_ab = great_circle_km(48.85, 2.35, 45.76, 4.84)
    links = [Link("AB", "A", "B", 10, km_ab, round(km_ab * 0.00498, 3), 1),  # a hair under 5 µs/km
             Link("BC", "B", "C", 10, 300, 2.0, 1), Link("AC", "A", "C", 10, 700, 4.0, 1)]
    graph = CompiledGraph.compile(Network(name="n", pops=pops, links=links))
    c = metric_per_km(graph, "latency")
    assert c < 0.005  # computed from the data: a fixed 5 µs/km would overestimate A → B
    for target in range(graph.node_count):
        h = distance_bound(graph, "latency", target)
        assert h[target] == 0
        for arc in range(graph.arc_count):
            u, v = graph.arc_src_list[arc], graph.arc_dst_list[arc]
            assert h[u] <= graph.arc_latency_list[arc] + h[v]  # consistent, hence admissible


@settings(max_examples=200, deadline=None)
@given(network=geo_networks(max_nodes=12, max_edges=30), seed=st.integers(0, 10**6),
       metric=st.sampled_from(("latency", "igp")))
def test_astar_and_plain_dijkstra_find_the_same_cost(network, seed, metric):
    """A* with the great-circle bound against networkx's Dijkstra, on random saturated residual graphs."""
    graph = CompiledGraph.compile(network)
    rng = random.Random(seed)
    ledger = saturate(graph, rng, 2 * len(network.links))
    bps = rng.choice((5, 10, 20))
    usable = [ledger.free_bps(a, NOW, None) >= bps and ledger.free_bps(a ^ 1, NOW, None) >= bps
              for a in range(graph.arc_count)]
    s, t = rng.sample(range(graph.node_count), 2)
    arcs = astar(graph, usable, s, t, metric)
    expected = oracle_cost(graph, ledger, s, t, bps, NOW, NEVER, metric)
    if expected is None:
        assert arcs is None
        return
    weights = graph.arc_latency_list if metric == "latency" else graph.arc_igp_list
    assert arcs is not None and all(usable[a] for a in arcs.tolist())
    assert math.isclose(sum(weights[a] for a in arcs.tolist()), expected, rel_tol=1e-9, abs_tol=1e-9)
    # The same with the arcs' room checked as met (the timed-window form): a refused arc is never used.
    banned = set(rng.sample(range(graph.arc_count), graph.arc_count // 4))
    doubtful = [2 if ok else 0 for ok in usable]  # every usable arc asked about, as over a timed window
    checked = astar(graph, doubtful, s, t, metric, room=lambda arc: arc not in banned)
    g = nx.DiGraph()
    for a in range(graph.arc_count):
        if usable[a] and a not in banned:
            u, v = graph.arc_src_list[a], graph.arc_dst_list[a]
            if not g.has_edge(u, v) or g[u][v]["w"] > weights[a]:
                g.add_edge(u, v, w=weights[a])
    try:
        want = nx.dijkstra_path_length(g, s, t, weight="w")
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        assert checked is None
        return
    assert checked is not None and not banned & set(checked.tolist())
    assert math.isclose(sum(weights[a] for a in checked.tolist()), want, rel_tol=1e-9, abs_tol=1e-9)
