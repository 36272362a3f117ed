"""Admission control speed: CSPF, hose trees and failure what-if, against networkx in the same run.

Figures (the last line of output is one JSON object):
- Interoute sample network (`load_sample_network()`: Interoute 2010 + Connectis 78, synthetic
  capacities), 10,000 reservations booked by CSPF between the pan-European PoPs (70 % open-ended,
  30 % timed windows in the next 30 days): `cspf_per_s` (find_path over a window) vs `networkx_per_s`
  (nx.dijkstra_path_length with a weight function returning None for arcs without the bandwidth —
  its fastest form; static free capacity, no windows), and their ratio; `admit_per_s` = find_path +
  reserve + release. Two scenarios: "typical" (enterprise rates 2-100M: the links keep headroom)
  and "saturated" (10-500M: bottleneck links full, most queries leave the fast path).
- 10,000-node synthetic graph (a jittered grid with chords, ~20,000 links), 10,000 reservations;
  queries from 100 edge PoPs (services attach at PE sites): same comparison.
- `hose_50_sites_ms`: a 50-site VPN tree on the sample network (best of all roots), mean of 5;
  `hose_50_sites_asymmetric_ms` the same sites with asymmetric accesses, and the share of the
  symmetric tree's bit/s (over max(down, up)) that its tree books.
- `failure_ms`: fail the link carrying the most reservations, re-route all it carried.

Run: .venv/bin/python bench/bench_admission.py [--quick]
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import sys
import time

import networkx as nx
import numpy as np

from unilink.errors import InfeasibleError
from unilink.inventory.model import Link, Network, Pop
from unilink.inventory.sample import load_interoute, load_sample_network
from unilink.network.cspf import book_path, find_path
from unilink.network.graph import CompiledGraph
from unilink.network.hose import SiteRate, hose_tree
from unilink.network.ledger import CapacityLedger
from unilink.network.whatif import fail

RATES_BPS: tuple[int, ...] = tuple(r * 10**6 for r in (2, 5, 10, 20, 50, 100))
CLOCK = time.process_time
DAY_S = 86_400.0
NOW = 1_800_000_000.0  # a fixed "now" (2027-01-15) so runs are comparable


def request(rng: random.Random, sources: list[str], nodes: list[str]) -> tuple[str, str, int, float, float | None]:
    src = rng.choice(sources)
    dst = rng.choice(nodes)
    while dst == src:
        dst = rng.choice(nodes)
    bps = rng.choice(RATES_BPS)
    if rng.random() < 0.7:
        return src, dst, bps, NOW, None
    start = NOW + rng.uniform(0, 30) * DAY_S
    return src, dst, bps, start, start + rng.uniform(1, 72) * 3600


def fill(graph: CompiledGraph, ledger: CapacityLedger, count: int, rng: random.Random, sources: list[str],
         destinations: list[str]) -> int:
    refused = 0
    for i in range(count):
        src, dst, bps, start, end = request(rng, sources, destinations)
        try:
            path = find_path(graph, ledger, src, dst, bps, start=start, end=end, look_ahead=False)
            book_path(graph, ledger, path, bps, service_id=f"svc-{i}", start=start, end=end, priority=i % 4)
        except InfeasibleError:
            refused += 1
    return refused


def networkx_baseline(graph: CompiledGraph, ledger: CapacityLedger) -> nx.DiGraph:
    """networkx graph: cheapest arc per PoP pair, with the free bit/s from now on, this way and back.

    The same question CSPF answers for an open-ended request (both directions of each link must have
    room), minus the time windows, which networkx cannot express.
    """
    ledger.refresh_bounds()  # exact: capacity − the highest load, i.e. free from now on
    nxg = nx.DiGraph()
    nxg.add_nodes_from(graph.nodes)
    for arc in range(graph.arc_count):
        u, v = graph.nodes[graph.arc_src[arc]], graph.nodes[graph.arc_dst[arc]]
        lat = float(graph.arc_latency_ms[arc])
        if not nxg.has_edge(u, v) or nxg[u][v]["latency"] > lat:
            free = min(int(ledger.free_bound_bps[arc]), int(ledger.free_bound_bps[arc ^ 1]))
            nxg.add_edge(u, v, latency=lat, free=free)
    return nxg


def time_queries(graph, ledger, nxg, queries, nx_limit: int) -> dict[str, float]:
    t0 = CLOCK()
    ours = []
    for src, dst, bps, start, end in queries:
        try:
            ours.append(find_path(graph, ledger, src, dst, bps, start=start, end=end, explain=False).latency_ms)
        except InfeasibleError:
            ours.append(None)
    cspf_s = CLOCK() - t0

    t0 = CLOCK()
    theirs = []
    for src, dst, bps, _start, _end in queries[:nx_limit]:
        def weight(u, v, d, bps=bps):
            return d["latency"] if d["free"] >= bps else None
        try:
            theirs.append(nx.dijkstra_path_length(nxg, src, dst, weight=weight))
        except nx.NetworkXNoPath:
            theirs.append(None)
    nx_s = CLOCK() - t0
    # Sanity on open-ended queries (where the baseline's static free capacity is the exact answer).
    agree = sum(1 for q, a, b in zip(queries, ours, theirs, strict=False) if q[4] is None and (
        (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b))))
    comparable = sum(1 for q in queries[:nx_limit] if q[4] is None)

    t0 = CLOCK()
    admitted = 0
    for i, (src, dst, bps, start, end) in enumerate(queries[:nx_limit * 5]):
        try:
            path = find_path(graph, ledger, src, dst, bps, start=start, end=end, explain=False)
            r = book_path(graph, ledger, path, bps, service_id=f"q{i}", start=start, end=end)
            ledger.release(r.id)
            admitted += 1
        except InfeasibleError:
            pass
    admit_s = CLOCK() - t0
    cspf_rate = len(queries) / cspf_s
    nx_rate = nx_limit / nx_s
    return {"cspf_per_s": round(cspf_rate), "networkx_per_s": round(nx_rate),
            "ratio_vs_networkx": round(cspf_rate / nx_rate, 1),
            "admit_per_s": round(min(len(queries), nx_limit * 5) / admit_s),
            "agree_with_networkx": f"{agree}/{comparable}"}


def synthetic_network(side: int, rng: random.Random) -> Network:
    """A side×side jittered grid over Europe's latitudes with random chords: ~2 links per node."""
    pops, links = [], []
    for r in range(side):
        for c in range(side):
            pops.append(Pop(name=f"S{r}x{c}", city="synthetic", country="", lat=36 + 30 * r / side,
                            lon=-9 + 40 * c / side))

    def add(a: int, b: int) -> None:
        lat = round(rng.uniform(0.2, 3.0), 3)
        links.append(Link(name=f"E{len(links)}", a=pops[a].name, b=pops[b].name,
                          capacity_bps=rng.choice((10, 40, 100)) * 10**9, length_km=lat * 200, latency_ms=lat,
                          igp_metric=max(1, int(lat * 100))))
    for r in range(side):
        for c in range(side):
            i = r * side + c
            if c + 1 < side:
                add(i, i + 1)
            if r + 1 < side:
                add(i, i + side)
    for _ in range(side * side // 10):
        a, b = rng.randrange(side * side), rng.randrange(side * side)
        if a != b:
            add(a, b)
    return Network(name="synthetic", pops=pops, links=links)


def interoute_scenario(name: str, rates: tuple[int, ...], reservations: int, query_count: int, nx_limit: int,
                       rng: random.Random) -> tuple[dict[str, object], CompiledGraph, CapacityLedger, list[str]]:
    global RATES_BPS
    RATES_BPS = rates
    graph = CompiledGraph.compile(load_sample_network())
    ledger = CapacityLedger(graph)
    # Services between the pan-European PoPs (the Yvelines spurs are access, not backbone): the main component.
    reachable = np.isfinite(graph.shortest_tree(graph.node_index["Paris"], "latency")[0])
    pops = sorted(p.name for p in load_interoute().pops if reachable[graph.node_index[p.name]])
    t0 = CLOCK()
    refused = fill(graph, ledger, reservations, rng, pops, pops)
    figures: dict[str, object] = {
        "scenario": name, "pops": graph.node_count, "links": len(graph.links), "reservations": len(ledger),
        "rates_mbps": [r // 10**6 for r in rates], "refused_while_filling": refused,
        "fill_per_s": round(reservations / (CLOCK() - t0))}
    queries = [request(rng, pops, pops) for _ in range(query_count)]
    figures.update(time_queries(graph, ledger, networkx_baseline(graph, ledger), queries, nx_limit=nx_limit))
    return figures, graph, ledger, pops


def main() -> None:
    quick = "--quick" in sys.argv
    rng = random.Random(20261126)
    figures: dict[str, object] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cpus shared, python {platform.python_version()}, "
                   f"load average {os.getloadavg()[0]:.1f} at start",
        "clock": "process CPU time (time.process_time) for both sides: the machine is shared"}
    reservations = 2_000 if quick else 10_000
    queries = 5_000 if quick else 50_000
    nx_limit = 1_000 if quick else 5_000

    typical, graph, ledger, pops = interoute_scenario(
        "typical: enterprise rates 2-100M", tuple(r * 10**6 for r in (2, 5, 10, 20, 50, 100)), reservations,
        queries, nx_limit, rng)
    figures["interoute"] = typical
    progress(figures)

    sites = rng.sample(pops, 50)
    vpn = {s: rng.choice((10, 20, 50)) * 10**6 for s in sites}
    hose_tree(graph, ledger, vpn)  # warm-up
    t0 = CLOCK()
    for _ in range(5):
        tree = hose_tree(graph, ledger, vpn)
    figures["hose_50_sites_ms"] = round((CLOCK() - t0) / 5 * 1000, 2)
    figures["hose_saving_vs_pipe"] = round(tree.saving, 3)
    # The same sites with asymmetric accesses (up = down / 1, 2, 4 or 20: fibre, FTTH, VDSL2, ADSL); its own
    # generator, so that the figures after this one see the same random draws as before it existed.
    shapes = random.Random(7)
    asymmetric = {s: SiteRate(down=bps, up=bps // shapes.choice((1, 2, 4, 20))) for s, bps in vpn.items()}
    t0 = CLOCK()
    for _ in range(5):
        asym_tree = hose_tree(graph, ledger, asymmetric)
    figures["hose_50_sites_asymmetric_ms"] = round((CLOCK() - t0) / 5 * 1000, 2)
    figures["hose_asymmetric_booked_vs_symmetric"] = round(
        sum(asym_tree.arc_bps.values()) / sum(tree.arc_bps.values()), 3)  # tree: max(down, up) = down here

    per_link = np.zeros(len(graph.links), dtype=np.int64)
    for r in ledger.reservations():
        for link in {int(graph.arc_link[a]) for a in r.arcs}:
            per_link[link] += 1
    busiest = graph.links[int(per_link.argmax())].name
    t0 = CLOCK()
    report = fail(graph, ledger, links=[busiest])
    figures["failure"] = {"link": busiest, "services_in_ledger": len(ledger), "affected": len(report.affected),
                          "restored": len(report.restored), "unrestorable": len(report.unrestorable),
                          "failure_ms": round((CLOCK() - t0) * 1000, 1)}
    progress(figures)

    saturated, *_ = interoute_scenario("saturated: rates 10-500M, bottlenecks full", tuple(
        r * 10**6 for r in (10, 50, 100, 200, 500)), reservations, queries // 5, nx_limit // 5, rng)
    figures["interoute_saturated"] = saturated
    progress(figures)

    global RATES_BPS
    RATES_BPS = tuple(r * 10**6 for r in (2, 5, 10, 20, 50, 100))
    side = 50 if quick else 100
    big = CompiledGraph.compile(synthetic_network(side, rng))
    big_ledger = CapacityLedger(big)
    edge_pops = rng.sample(list(big.nodes), 100)
    t0 = CLOCK()
    refused = fill(big, big_ledger, reservations, rng, edge_pops, list(big.nodes))
    figures["synthetic"] = {"pops": big.node_count, "links": len(big.links), "reservations": len(big_ledger),
                            "refused_while_filling": refused, "fill_s": round(CLOCK() - t0, 2)}
    big_queries = [request(rng, edge_pops, list(big.nodes)) for _ in range(5_000 if quick else 20_000)]
    figures["synthetic"].update(time_queries(big, big_ledger, networkx_baseline(big, big_ledger), big_queries,
                                             nx_limit=50 if quick else 200))
    print(json.dumps(figures))


def progress(figures: dict[str, object]) -> None:
    print(json.dumps(figures), file=sys.stderr)


if __name__ == "__main__":
    main()
