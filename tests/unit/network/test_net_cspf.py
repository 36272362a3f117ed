"""CSPF: least-latency / least-IGP path with the bandwidth free, checked against networkx oracles."""

from __future__ import annotations

import contextlib
import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from network_testkit import build_network, random_networks

from unilink.errors import InfeasibleError, NotFoundError, ValidationError
from unilink.network.cspf import find_path
from unilink.network.graph import CompiledGraph
from unilink.network.ledger import CapacityLedger, to_iso

G = 10**9


def diamond():
    """N0 → N3 via N1 (2+2 ms, 10G) or via N2 (3+3 ms, 10G); a direct slow link L4 (20 ms, 1G)."""
    network = build_network(4, [(0, 1, 2, 10 * G), (1, 3, 2, 10 * G), (0, 2, 3, 10 * G), (2, 3, 3, 10 * G),
                                (0, 3, 20, 1 * G)], srlgs={0: ("duct-A",), 3: ("duct-A",)}, igp={4: 1})
    graph = CompiledGraph.compile(network)
    return graph, CapacityLedger(graph)


def test_the_least_latency_path_when_it_has_room():
    graph, ledger = diamond()
    path = find_path(graph, ledger, "N0", "N3", 5 * G)
    assert path.nodes == ("N0", "N1", "N3") and path.links == ("L0", "L1") and path.latency_ms == 4
    assert path.to_dict() == {"path": ["N0", "N1", "N3"], "latency_ms": 4.0, "links": ["L0", "L1"],
                              "igp_metric": 4, "hops": 2}


def test_a_loaded_link_sends_the_path_round_it():
    graph, ledger = diamond()
    ledger.reserve({2: 8 * G}, service_id="busy")  # L1 N1→N3 has 2G left
    assert find_path(graph, ledger, "N0", "N3", 5 * G).nodes == ("N0", "N2", "N3")
    assert find_path(graph, ledger, "N0", "N3", 2 * G).nodes == ("N0", "N1", "N3")
    assert find_path(graph, ledger, "N3", "N0", 5 * G, reverse_bps=0).nodes == ("N3", "N1", "N0")  # one-way
    assert find_path(graph, ledger, "N3", "N0", 5 * G).nodes == ("N3", "N2", "N0")  # both ways: L1 lacks room


def test_igp_metric_is_selectable():
    graph, ledger = diamond()
    assert find_path(graph, ledger, "N0", "N3", G, metric="igp").links == ("L4",)
    with pytest.raises(ValidationError) as info:
        find_path(graph, ledger, "N0", "N3", G, metric="hops")
    assert info.value.field == "metric"


def test_max_hops_and_max_latency():
    graph, ledger = diamond()
    ledger.reserve({0: 10 * G, 2: 10 * G, 4: 10 * G}, service_id="fill")  # both 2-hop paths full outward
    assert find_path(graph, ledger, "N0", "N3", G).links == ("L4",)
    with pytest.raises(InfeasibleError) as info:
        find_path(graph, ledger, "N0", "N3", G, max_latency_ms=10)
    assert info.value.details["reason"] == "capacity"
    assert {b["link"] for b in info.value.details["bottleneck"]} == {"L0", "L1"}  # the fastest path within 10 ms
    graph, ledger = diamond()
    assert find_path(graph, ledger, "N0", "N3", G, metric="igp", max_latency_ms=6).links == ("L0", "L1")
    assert find_path(graph, ledger, "N0", "N3", G, max_hops=1).links == ("L4",)
    with pytest.raises(InfeasibleError) as info:
        find_path(graph, ledger, "N0", "N3", G, max_latency_ms=3.5)
    assert info.value.details["reason"] == "latency" and info.value.details["bottleneck"] == []


def test_exclusions_of_nodes_links_and_srlgs():
    graph, ledger = diamond()
    assert find_path(graph, ledger, "N0", "N3", G, exclude_nodes=["N1"]).nodes == ("N0", "N2", "N3")
    assert find_path(graph, ledger, "N0", "N3", G, exclude_links=["L1"]).nodes == ("N0", "N2", "N3")
    assert find_path(graph, ledger, "N0", "N3", G, exclude_srlgs=["duct-A"]).links == ("L4",)
    with pytest.raises(InfeasibleError) as info:
        find_path(graph, ledger, "N0", "N3", G, exclude_nodes=["N3"])
    assert info.value.details["reason"] == "unreachable"
    with pytest.raises(ValidationError):
        find_path(graph, ledger, "N0", "N3", G, exclude_srlgs=["duct-Z"])


def test_unknown_node_and_bad_bandwidth_are_input_errors():
    graph, ledger = diamond()
    with pytest.raises(NotFoundError) as info:
        find_path(graph, ledger, "Atlantis", "N3", G)
    assert info.value.field == "src" and info.value.exit_code == 2
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValidationError):
            find_path(graph, ledger, "N0", "N3", bad)


def test_infeasible_names_the_cut_and_the_earliest_fit():
    graph, ledger = diamond()
    ledger.reserve({0: 9 * G}, service_id="a", start=0, end=1000)
    ledger.reserve({4: 5 * G}, service_id="b", start=0, end=3000)
    ledger.reserve({8: 1 * G}, service_id="c", start=0, end=2000)  # L4 N0→N3 full until 2000
    with pytest.raises(InfeasibleError) as info:
        find_path(graph, ledger, "N0", "N3", 6 * G, start=500, end=600)
    details = info.value.details
    assert details["reason"] == "capacity"
    assert {(b["link"], b["a"], b["b"], b["free_bps"]) for b in details["bottleneck"]} == {
        ("L0", "N0", "N1", G), ("L2", "N0", "N2", 5 * G), ("L4", "N0", "N3", 0), ("L4", "N3", "N0", G)}
    assert all(b["asked_bps"] == 6 * G for b in details["bottleneck"])
    assert details["earliest_fit"] == to_iso(1000)  # L0 frees at 1000
    find_path(graph, ledger, "N0", "N3", 6 * G, start=1000, end=1100)  # and indeed it fits then


def test_without_a_ledger_only_capacities_count():
    graph, _ = diamond()
    assert find_path(graph, None, "N0", "N3", 10 * G).latency_ms == 4
    with pytest.raises(InfeasibleError):
        find_path(graph, None, "N0", "N3", 11 * G)


loads = st.lists(st.tuples(st.integers(0, 39), st.integers(1, 10)), max_size=25)


@settings(max_examples=200, deadline=None)
@given(random_networks(), loads, st.integers(1, 6), st.data())
def test_cspf_latency_equals_the_oracle_on_the_capacity_filtered_graph(network, load, asked, data):
    graph = CompiledGraph.compile(network)
    ledger = CapacityLedger(graph)
    for arc, bps in load:
        if arc < graph.arc_count:
            with contextlib.suppress(InfeasibleError):
                ledger.reserve({arc: bps}, service_id="load")
    src = data.draw(st.sampled_from(graph.nodes))
    dst = data.draw(st.sampled_from([n for n in graph.nodes if n != src]))
    oracle = nx.DiGraph()
    oracle.add_nodes_from(graph.nodes)
    for arc in range(graph.arc_count):
        if ledger.free_bps(arc) >= asked and ledger.free_bps(arc ^ 1) >= asked:  # both directions booked
            u, v = graph.nodes[graph.arc_src[arc]], graph.nodes[graph.arc_dst[arc]]
            w = float(graph.arc_latency_ms[arc])
            if not oracle.has_edge(u, v) or oracle[u][v]["w"] > w:
                oracle.add_edge(u, v, w=w)
    try:
        expected = nx.dijkstra_path_length(oracle, src, dst, weight="w")
    except nx.NetworkXNoPath:
        expected = None
    try:
        path = find_path(graph, ledger, src, dst, asked)
    except InfeasibleError as exc:
        assert expected is None, f"refused although the oracle finds {expected} ms"
        if exc.details["reason"] == "capacity":  # the cut really separates src from dst
            cut = {(b["a"], b["b"]) for b in exc.details["bottleneck"]}
            assert cut and all(b["free_bps"] < asked for b in exc.details["bottleneck"])
            assert not nx.has_path(oracle, src, dst)
        return
    assert expected is not None and path.latency_ms == pytest.approx(expected)
    assert all(ledger.free_bps(a) >= asked for a in path.arcs)
    assert path.nodes[0] == src and path.nodes[-1] == dst
    assert all(graph.nodes[graph.arc_dst[a]] == graph.nodes[graph.arc_src[b]] for a, b in itertools.pairwise(path.arcs))


def brute_force_best(network, src, dst, asked, *, max_hops=None, max_latency=None, weight="latency"):
    """Cheapest simple path by enumeration (multigraph: every choice of parallel link)."""
    mg = nx.MultiGraph()
    mg.add_nodes_from(p.name for p in network.pops)
    for link in network.links:
        if link.capacity_bps >= asked:
            mg.add_edge(link.a, link.b, key=link.name, lat=link.latency_ms, igp=link.igp_metric)
    best = None
    for edge_path in nx.all_simple_edge_paths(mg, src, dst, cutoff=max_hops):
        lat = sum(mg.edges[e]["lat"] for e in edge_path)
        cost = lat if weight == "latency" else sum(mg.edges[e]["igp"] for e in edge_path)
        if max_latency is not None and lat > max_latency:
            continue
        best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=150, deadline=None)
@given(random_networks(max_nodes=7, max_edges=12), st.integers(1, 4), st.integers(1, 10),
       st.sampled_from(["latency", "igp"]), st.one_of(st.none(), st.integers(5, 40)), st.data())
def test_hop_and_latency_limits_match_brute_force(network, max_hops, asked, metric, max_latency, data):
    graph = CompiledGraph.compile(network)
    src = data.draw(st.sampled_from(graph.nodes))
    dst = data.draw(st.sampled_from([n for n in graph.nodes if n != src]))
    expected = brute_force_best(network, src, dst, asked, max_hops=max_hops, max_latency=max_latency, weight=metric)
    try:
        path = find_path(graph, None, src, dst, asked, metric=metric, max_hops=max_hops, max_latency_ms=max_latency)
    except InfeasibleError:
        assert expected is None
        return
    cost = path.latency_ms if metric == "latency" else path.igp_metric
    assert expected is not None and cost == pytest.approx(expected)
    assert path.hops <= max_hops
    assert max_latency is None or path.latency_ms <= max_latency + 1e-9


windowed_loads = st.lists(st.tuples(st.integers(0, 39), st.integers(1, 10), st.integers(0, 50),
                                    st.one_of(st.none(), st.integers(1, 40))), max_size=30)


def brute_free(ledger, arc, start, end):
    """Capacity − the largest load at any instant of [start, end), from the reservation list itself."""
    live = [r for r in ledger.reservations() for a, _ in r.arc_bps if a == arc]
    instants = {start} | {r.start for r in live if start < r.start < end}
    load = max(sum(b for r in live for a, b in r.arc_bps if a == arc and r.start <= t < r.end) for t in instants)
    return int(ledger.capacity_bps[arc]) - load


@settings(max_examples=200, deadline=None)
@given(random_networks(), windowed_loads, st.integers(1, 6), st.integers(0, 60), st.one_of(st.none(),
       st.integers(1, 30)), st.data())
def test_cspf_over_time_windows_equals_the_oracle(network, load, asked, start, length, data):
    """Windows, holds and the caches: a second query after changes must still match a brute-force oracle."""
    graph = CompiledGraph.compile(network)
    ledger = CapacityLedger(graph)
    for arc, bps, begin, span in load:
        if arc < graph.arc_count:
            with contextlib.suppress(InfeasibleError):
                ledger.reserve({arc: bps}, service_id="load", start=begin, end=None if span is None else begin + span)
    src = data.draw(st.sampled_from(graph.nodes))
    dst = data.draw(st.sampled_from([n for n in graph.nodes if n != src]))
    end = None if length is None else start + length
    for round_ in range(2):
        window_end = float("inf") if end is None else end
        oracle = nx.DiGraph()
        oracle.add_nodes_from(graph.nodes)
        for arc in range(graph.arc_count):
            if min(brute_free(ledger, arc, start, window_end), brute_free(ledger, arc ^ 1, start, window_end)) >= asked:
                u, v = graph.nodes[graph.arc_src[arc]], graph.nodes[graph.arc_dst[arc]]
                w = float(graph.arc_latency_ms[arc])
                if not oracle.has_edge(u, v) or oracle[u][v]["w"] > w:
                    oracle.add_edge(u, v, w=w)
        try:
            expected = nx.dijkstra_path_length(oracle, src, dst, weight="w")
        except nx.NetworkXNoPath:
            expected = None
        try:
            path = find_path(graph, ledger, src, dst, asked, start=start, end=end)
            assert expected is not None and path.latency_ms == pytest.approx(expected)
            booked = ledger.reserve(path.arc_bps(asked), service_id="q", start=start, end=end)  # it really fits
            if round_ == 0:
                ledger.release(booked.id)  # and the caches must notice the changes
        except InfeasibleError:
            assert expected is None
        if ledger.reservations():
            ledger.release(ledger.reservations()[0].id)


def test_the_bottleneck_is_a_minimum_cut_not_just_the_first_wall():
    # N0 reaches N1..N3 only over thin links (L0-L2); N1..N3 → N4 are fat; N4 → N5 (L6) is thin too.
    edges = [(0, 1, 1, 1 * G), (0, 2, 1, 1 * G), (0, 3, 1, 1 * G),
             (1, 4, 1, 10 * G), (2, 4, 1, 10 * G), (3, 4, 1, 10 * G), (4, 5, 1, 1 * G)]
    graph = CompiledGraph.compile(build_network(6, edges))
    with pytest.raises(InfeasibleError) as info:
        find_path(graph, CapacityLedger(graph), "N0", "N5", 5 * G)
    # Every path crosses one of the three thin links out of N0 and then L6: {L6} is the smallest set of
    # short links that separates N0 from N5 (the minimum cut), where the first wall met has three.
    assert {b["link"] for b in info.value.details["bottleneck"]} == {"L6"}
