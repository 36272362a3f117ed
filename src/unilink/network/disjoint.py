"""Protection: two link- and SRLG-disjoint paths of least total cost, both with the bandwidth free.

1. **Link-disjoint, exact: Bhandari's algorithm** (R. Bhandari, *Survivable Networks: Algorithms for
   Diverse Routing*, Kluwer 1999; equivalent to Suurballe & Tarjan 1984). On the capacity-filtered
   graph: shortest path P1; reverse its arcs with negated cost; shortest path P2 with Bellman-Ford
   (scipy); cancel the arcs P2 takes backwards along P1; the remaining arcs form the least-cost pair.
2. **SRLG-disjoint: a documented heuristic.** Finding two SRLG-disjoint paths is NP-hard in general
   (Hu, "Diverse routing in optical mesh networks", IEEE Trans. Commun. 2003). When Bhandari's pair
   shares an SRLG, we try the K cheapest primaries (Yen's k-shortest paths, K = `SRLG_PRIMARIES`) and
   for each the cheapest secondary avoiding the primary's links and every link sharing an SRLG with
   it; the cheapest pair found wins. It may miss a pair (a "trap") that only exists beyond K
   primaries, and may then pick a pair a little dearer than the optimum; it never returns a pair
   that shares a link or an SRLG.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse.csgraph import bellman_ford

from unilink.errors import InfeasibleError
from unilink.network.cspf import (
    NO_LIMITS,
    Asked,
    Path,
    constrained_search,
    find_path,
    free_per_arc,
    has_room,
    make_path,
    resolve_exclusions,
)
from unilink.network.graph import CompiledGraph, walk_predecessors
from unilink.network.ledger import ALWAYS, NEVER, CapacityLedger, Instant, to_seconds
from unilink.units import describe_bandwidth

SRLG_PRIMARIES = 16


@dataclass(frozen=True, slots=True)
class DisjointPair:
    primary: Path
    secondary: Path
    method: str  # "bhandari" (exact) or "k-primaries" (the SRLG heuristic)

    def to_dict(self) -> dict[str, Any]:
        return {"paths": [list(self.primary.nodes), list(self.secondary.nodes)],
                "latency_ms": [round(self.primary.latency_ms, 6), round(self.secondary.latency_ms, 6)],
                "links": [list(self.primary.links), list(self.secondary.links)], "method": self.method}


def find_disjoint_pair(graph: CompiledGraph, ledger: CapacityLedger | None, src: str | int, dst: str | int,
                       bps: int, *, reverse_bps: int | None = None, start: Instant = None, end: Instant = None,
                       metric: str = "latency", exclude_nodes: Iterable[str | int] = (),
                       exclude_links: Iterable[str | int] = (), exclude_srlgs: Iterable[str] = (),
                       srlg_disjoint: bool = True) -> DisjointPair:
    """Two link- (and SRLG-) disjoint paths of least total `metric`, each with `bps` free. Primary = cheaper."""
    # find_path validates every argument and raises the right error when not even one path fits.
    find_path(graph, ledger, src, dst, bps, reverse_bps=reverse_bps, start=start, end=end, metric=metric,
              exclude_nodes=exclude_nodes, exclude_links=exclude_links, exclude_srlgs=exclude_srlgs)
    s = graph.node_id(src, field="src") if isinstance(src, str) else int(src)
    t = graph.node_id(dst, field="dst") if isinstance(dst, str) else int(dst)
    window = (to_seconds(start, default=ALWAYS, field="start"), to_seconds(end, default=NEVER, field="end"))
    asked = Asked(int(bps), int(bps if reverse_bps is None else reverse_bps))
    usable = has_room(graph, ledger, asked, window)
    allowed = resolve_exclusions(graph, exclude_nodes, exclude_links, exclude_srlgs)
    if allowed is not None:
        usable &= allowed
    weights = graph.weights(metric)

    pair = bhandari(graph, usable, weights, s, t, metric)
    method = "bhandari"
    if pair is not None and srlg_disjoint and _shared_srlgs(graph, *pair):
        pair, method = _k_primaries(graph, usable, weights, s, t, metric), "k-primaries"
        if pair is None:
            raise InfeasibleError(
                f"no two SRLG-disjoint paths with {describe_bandwidth(asked.bps)} free from {graph.nodes[s]} "
                f"to {graph.nodes[t]}"
                f" among the {SRLG_PRIMARIES} cheapest primaries (link-disjoint pairs exist)",
                details={"reason": "srlg", "bottleneck": [], "earliest_fit": None})
    if pair is None:
        raise _no_second_path(graph, ledger, allowed, s, t, asked, window, metric)
    first, second = (make_path(graph, arcs) for arcs in pair)
    cost = (lambda p: p.latency_ms) if metric == "latency" else (lambda p: p.igp_metric)
    if (cost(second), second.arcs) < (cost(first), first.arcs):
        first, second = second, first
    return DisjointPair(primary=first, secondary=second, method=method)


def bhandari(graph: CompiledGraph, usable: np.ndarray, weights: np.ndarray, s: int, t: int,
             metric: str) -> tuple[list[int], list[int]] | None:
    """Least-total-cost pair of link-disjoint s→t paths on the usable arcs, or None."""
    first = constrained_search(graph, usable, s, t, metric, NO_LIMITS)
    if first is None:
        return None
    residual = usable.copy()
    modified = weights.astype(np.float64).copy()
    residual[first] = False  # P1's own arcs are used up...
    back = first ^ 1
    residual[back] = True  # ...and may be taken backwards at negative cost, which cancels them
    modified[back] = -weights[first]
    # The reverse of a P1 arc is the only arc of its link left; its parallel links keep their own arcs.
    reduced = graph.reduce_arcs(residual, metric, weights=modified)
    dist, pred = bellman_ford(reduced.matrix, directed=True, indices=s, return_predecessors=True)
    if not np.isfinite(dist[t]):
        return None
    nodes = walk_predecessors(pred, s, t)
    second = [reduced.arc_between(u, v) for u, v in zip(nodes, nodes[1:], strict=False)]
    first_set = {int(a) for a in first}
    cancelled = {a ^ 1 for a in second if a ^ 1 in first_set}
    arcs = [a for a in first_set if a not in cancelled] + [a for a in second if a ^ 1 not in cancelled]
    return _two_paths(graph, arcs, s, t)


def _two_paths(graph: CompiledGraph, arcs: list[int], s: int, t: int) -> tuple[list[int], list[int]] | None:
    """Split the union of a 2-flow into two s→t paths (dropping any zero-cost cycle)."""
    out: dict[int, list[int]] = {}
    for arc in sorted(arcs):
        out.setdefault(int(graph.arc_src[arc]), []).append(arc)
    paths = []
    for _ in range(2):
        walk: list[int] = []
        seen = {s: 0}
        node = s
        while node != t:
            if not out.get(node):
                return None  # pragma: no cover - a 2-flow always leaves s twice and reaches t
            arc = out[node].pop(0)
            walk.append(arc)
            node = int(graph.arc_dst[arc])
            if node in seen:  # a cycle: cut it out of the walk
                del walk[seen[node]:]
                seen = {n: i for n, i in seen.items() if i <= seen[node]}
            else:
                seen[node] = len(walk)
        paths.append(walk)
    return paths[0], paths[1]


def _shared_srlgs(graph: CompiledGraph, first: list[int], second: list[int]) -> set[str]:
    groups = [set().union(*(graph.link_srlgs[int(graph.arc_link[a])] for a in arcs)) for arcs in (first, second)]
    return groups[0] & groups[1]


def _k_primaries(graph: CompiledGraph, usable: np.ndarray, weights: np.ndarray, s: int, t: int,
                 metric: str) -> tuple[list[int], list[int]] | None:
    """The cheapest SRLG-disjoint pair among the K cheapest primaries (see the module docstring)."""
    best: tuple[float, list[int], list[int]] | None = None
    for primary in yen_paths(graph, usable, weights, s, t, metric, SRLG_PRIMARIES):
        cost1 = float(weights[primary].sum())
        if best is not None and 2 * cost1 >= best[0]:
            break  # every later primary costs at least this much, and so would its secondary
        risky_links = {int(graph.arc_link[a]) for a in primary}
        groups = set().union(*(graph.link_srlgs[link] for link in risky_links))
        for group in groups:
            risky_links.update(graph.srlg_links[group])
        avoid = usable.copy()
        avoid[np.isin(graph.arc_link, list(risky_links))] = False
        secondary = constrained_search(graph, avoid, s, t, metric, NO_LIMITS)
        if secondary is None:
            continue
        total = cost1 + float(weights[secondary].sum())
        if best is None or total < best[0]:
            best = (total, [int(a) for a in primary], [int(a) for a in secondary])
    return None if best is None else (best[1], best[2])


def yen_paths(graph: CompiledGraph, usable: np.ndarray, weights: np.ndarray, s: int, t: int, metric: str,
              k: int) -> Iterable[np.ndarray]:
    """Yen's k shortest loopless paths (arc arrays), cheapest first (J. Y. Yen, Management Science 1971)."""
    first = constrained_search(graph, usable, s, t, metric, NO_LIMITS)
    if first is None:
        return
    found = [first]
    yield first
    candidates: list[tuple[float, tuple[int, ...]]] = []
    seen = {tuple(int(a) for a in first)}
    while len(found) < k:
        previous = found[-1]
        nodes = [s] + [int(graph.arc_dst[a]) for a in previous]
        for i in range(len(previous)):
            root = tuple(int(a) for a in previous[:i])
            mask = usable.copy()
            for path in found:
                if tuple(int(a) for a in path[:i]) == root:
                    mask[path[i]] = False
            for node in nodes[:i]:  # the root's nodes may not be revisited
                mask[(graph.arc_src == node) | (graph.arc_dst == node)] = False
            spur = constrained_search(graph, mask, nodes[i], t, metric, NO_LIMITS)
            if spur is None:
                continue
            candidate = root + tuple(int(a) for a in spur)
            if candidate not in seen:
                seen.add(candidate)
                heapq.heappush(candidates, (float(weights[list(candidate)].sum()), candidate))
        if not candidates:
            return
        _, best = heapq.heappop(candidates)
        path = np.array(best, dtype=np.intp)
        found.append(path)
        yield path


def _no_second_path(graph: CompiledGraph, ledger: CapacityLedger | None, allowed: np.ndarray | None, s: int,
                    t: int, asked: Asked, window: tuple[float, float], metric: str) -> InfeasibleError:
    """Why no disjoint pair fits: the arcs lacking room on the pair the empty network would use."""
    topology = np.ones(graph.arc_count, dtype=bool) if allowed is None else allowed
    bare = bhandari(graph, topology, graph.weights(metric), s, t, metric)
    where = f"from {graph.nodes[s]} to {graph.nodes[t]}"
    if bare is None:
        return InfeasibleError(f"no two link-disjoint paths {where}: the topology has a single point of failure",
                               details={"reason": "unreachable", "bottleneck": [], "earliest_fit": None})
    free = free_per_arc(graph, ledger, max(asked.bps, asked.reverse_bps), window)
    bottleneck = []
    for arc in sorted(bare[0] + bare[1]):
        for direction, need in ((arc, asked.bps), (arc ^ 1, asked.reverse_bps)):
            if need and free[direction] < need:
                link, a, b = graph.arc_name(direction)
                bottleneck.append({"link": link, "a": a, "b": b, "free_bps": int(free[direction]), "asked_bps": need})
    names = ", ".join(sorted({b["link"] for b in bottleneck}))
    return InfeasibleError(f"no two disjoint paths {where} have {describe_bandwidth(asked.bps)} free "
                           f"(bottleneck: {names})",
                           details={"reason": "capacity", "bottleneck": bottleneck, "earliest_fit": None})
