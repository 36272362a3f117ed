"""Link loads under shortest-path routing with ECMP on IGP metrics.

Routing model (what an IGP with equal-cost multipath does): at every node, traffic towards a
destination t is split *equally* among the outgoing arcs that lie on a shortest path to t
(parallel links count as separate next hops). Per destination the arcs on shortest paths form a
DAG; flow is pushed down that DAG from the farthest node to t. Because IGP metrics are ≥ 1, a next
hop is always strictly closer to t, so processing nodes in decreasing distance is a valid
topological order.

Vectorised across destinations: step k processes, for every destination at once, the node at rank
k of that destination's distance order — n numpy steps instead of n² Python iterations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from unilink.planning.problem import CapacityProblem


@dataclass(frozen=True, slots=True)
class LinkLoads:
    """Per-arc loads (arc 2·i is link i a→b, 2·i+1 is b→a) and what could not be routed."""

    routing: str  # "ecmp" | "optimal"
    arc_load_bps: np.ndarray
    arc_capacity_bps: np.ndarray
    unrouted_bps: float = 0.0
    unrouted_pairs: tuple[tuple[str, str], ...] = ()
    failed_links: tuple[int, ...] = ()
    # Solver-reported MLU when it is the optimum of an LP (equal to the loads' MLU up to tolerance).
    solver_mlu: float | None = field(default=None)

    @property
    def arc_utilization(self) -> np.ndarray:
        util = self.arc_load_bps / self.arc_capacity_bps
        if self.failed_links:
            util = util.copy()
            for i in self.failed_links:
                util[2 * i] = util[2 * i + 1] = 0.0
        return util

    @property
    def link_utilization(self) -> np.ndarray:
        """Per link: the busier of its two directions."""
        util = self.arc_utilization
        return np.maximum(util[0::2], util[1::2])

    @property
    def max_utilization(self) -> float:
        util = self.arc_utilization
        return float(util.max()) if util.size else 0.0


def _out_arcs(problem: CapacityProblem, alive: np.ndarray) -> np.ndarray:
    """Padded table [node, j] → arc id of the node's j-th live outgoing arc, -1 beyond its degree."""
    n = problem.node_count
    arcs = np.flatnonzero(alive)
    tails = problem.arc_src[arcs]
    order = np.lexsort((arcs, tails))  # by tail, then arc id: deterministic next-hop order
    arcs, tails = arcs[order], tails[order]
    degree = np.bincount(tails, minlength=n)
    width = max(int(degree.max()) if degree.size else 0, 1)
    table = np.full((n, width), -1, dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(degree)[:-1]))
    position = np.arange(arcs.size) - start[tails]
    table[tails, position] = arcs
    return table


def distances_to(problem: CapacityProblem, alive: np.ndarray) -> np.ndarray:
    """dist[t, u] = IGP distance from u to t over live arcs (inf when unreachable)."""
    n = problem.node_count
    arcs = np.flatnonzero(alive)
    # Parallel arcs: keep the smallest metric (a csr_matrix would add duplicates up).
    weight = np.full((n, n), np.inf)
    np.minimum.at(weight, (problem.arc_src[arcs], problem.arc_dst[arcs]), problem.arc_metric[arcs].astype(float))
    src, dst = np.nonzero(np.isfinite(weight))
    graph = csr_matrix((weight[src, dst], (src, dst)), shape=(n, n))
    # Distances *to* each t are distances *from* t on the reversed graph.
    return dijkstra(graph.T.tocsr(), directed=True)


def ecmp_loads(problem: CapacityProblem, failed_links: Iterable[int] = ()) -> LinkLoads:
    """Loads of every arc when `problem`'s traffic follows IGP shortest paths with equal splits."""
    failed = tuple(sorted(set(failed_links)))
    n, arc_count = problem.node_count, problem.arc_count
    alive = np.ones(arc_count, dtype=bool)
    for i in failed:
        alive[2 * i] = alive[2 * i + 1] = False
    if n == 0 or arc_count == 0 or not alive.any():
        return _unroutable_everything(problem, failed)

    dist = distances_to(problem, alive)                          # [t, u]
    out = _out_arcs(problem, alive)                              # [u, j]
    valid = out >= 0
    safe_out = np.where(valid, out, 0)
    head = problem.arc_dst[safe_out]                             # [u, j]
    metric = problem.arc_metric[safe_out].astype(float)          # [u, j]
    # next_hop[t, u, j]: arc out[u, j] lies on a shortest path from u to t.
    with np.errstate(invalid="ignore"):
        next_hop = valid[None] & np.isfinite(dist)[:, :, None] & (dist[:, :, None] == metric[None] + dist[:, head])
    next_hop[np.arange(n), np.arange(n), :] = False
    hops = next_hop.sum(axis=2)                                  # [t, u]

    flow = problem.demand_bps.T.copy()                           # [t, u]: traffic at u heading to t
    order = np.argsort(-dist, axis=1, kind="stable")             # farthest first; unreachable (inf) first
    rows = np.arange(n)
    rows_by_j = np.broadcast_to(rows[:, None], (n, out.shape[1]))
    for k in range(n):
        u = order[:, k]
        count = hops[rows, u]
        share = np.divide(flow[rows, u], count, out=np.zeros(n), where=count > 0)
        mask = next_hop[rows, u]                                 # [t, j]
        if mask.any():
            np.add.at(flow, (rows_by_j[mask], head[u][mask]), np.broadcast_to(share[:, None], mask.shape)[mask])

    share_final = np.divide(flow, hops, out=np.zeros_like(flow), where=hops > 0)
    t_idx, u_idx, j_idx = np.nonzero(next_hop)
    arc_load = np.bincount(out[u_idx, j_idx], weights=share_final[t_idx, u_idx], minlength=arc_count)

    if problem.background_arc_bps is not None:  # booked services keep their own paths; a failed arc loses them
        arc_load = arc_load + np.where(alive, problem.background_arc_bps, 0.0)
    stuck = (hops == 0) & (flow > 0)
    stuck[rows, rows] = False
    unrouted_pairs = _stuck_pairs(problem, dist)
    return LinkLoads(routing="ecmp", arc_load_bps=arc_load, arc_capacity_bps=problem.arc_capacity_bps,
                     unrouted_bps=float(flow[stuck].sum()), unrouted_pairs=unrouted_pairs, failed_links=failed)


def _stuck_pairs(problem: CapacityProblem, dist: np.ndarray) -> tuple[tuple[str, str], ...]:
    """Demands (s, t) with traffic but no path, named, in index order."""
    t, s = np.nonzero(~np.isfinite(dist) & (problem.demand_bps.T > 0))
    pairs = sorted(zip(s.tolist(), t.tolist(), strict=True))
    return tuple((problem.node_names[a], problem.node_names[b]) for a, b in pairs)


def _unroutable_everything(problem: CapacityProblem, failed: tuple[int, ...]) -> LinkLoads:
    s, t = np.nonzero(problem.demand_bps > 0)
    pairs = tuple((problem.node_names[a], problem.node_names[b]) for a, b in zip(s, t, strict=True))
    alive = np.ones(problem.arc_count, dtype=bool)
    for i in failed:
        alive[2 * i] = alive[2 * i + 1] = False
    background = np.zeros(problem.arc_count) if problem.background_arc_bps is None else problem.background_arc_bps
    return LinkLoads(routing="ecmp", arc_load_bps=np.where(alive, background, 0.0),
                     arc_capacity_bps=problem.arc_capacity_bps, unrouted_bps=problem.total_demand_bps,
                     unrouted_pairs=pairs, failed_links=failed)
