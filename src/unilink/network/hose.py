"""IP-VPN reservations under the symmetric hose model: one tree, reserved edge by edge.

Each site i of a VPN may send and receive up to b_i bit/s (its access rate), to any mix of the other
sites. Reserving on a tree T, edge e splits the sites in two sides S and S̄; the traffic crossing e in
either direction is at most min(Σ_{i∈S} b_i, Σ_{i∈S̄} b_i), and that is what e reserves, each way.

For the symmetric hose model a shortest-path tree from a well-chosen root is an optimal tree (Gupta,
Kleinberg, Kumar, Rastogi, Yener, "Provisioning a virtual private network", STOC 2001), and trees are
optimal among all routings (Goyal, Olver, Shepherd, "The VPN conjecture is true", J. ACM 2013). So:
1. one scipy Dijkstra from every node (batched) gives every candidate root's shortest-path tree;
2. subtree rate sums are pushed up the trees level by level, for all roots at once (numpy);
3. cost(root) = Σ_e reserved_e × weight_e (bit/s × ms for the latency metric); roots are tried in
   increasing cost (ties: node order) and the first whose tree fits the free capacity wins.
If no shortest-path tree fits, a capacity-aware heuristic re-grows each root's tree without the
arcs that lacked room (a few rounds per root); the capacitated problem is NP-hard, so that tree is
feasible but not guaranteed optimal. Nothing fits → `InfeasibleError` naming the cheapest tree's
short links.

The pipe model, for comparison: a full mesh where each pair (i, j) reserves min(b_i, b_j) each way on
its shortest path. Its cost is never below the best tree's (the tree is optimal and the mesh is a
feasible hose reservation), so `saving` is what the customer is spared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra

from unilink.errors import InfeasibleError, ValidationError
from unilink.network.cspf import resolve_exclusions
from unilink.network.graph import CompiledGraph, ReducedGraph
from unilink.network.ledger import ALWAYS, NEVER, CapacityLedger, Instant, to_seconds

ROOTS_PER_BATCH_CELLS = 4_000_000  # rows × nodes of the all-roots matrices held at once
CAPACITY_ROUNDS = 4  # re-growth rounds per root in the capacity-aware fallback


@dataclass(frozen=True, slots=True)
class TreeEdge:
    link: str
    parent: str  # root side
    child: str
    reserved_bps: int  # each direction


@dataclass(frozen=True)
class HoseTree:
    root: str
    edges: tuple[TreeEdge, ...]
    arc_bps: dict[int, int] = field(repr=False)
    tree_cost: float  # Σ reserved × metric (bit/s·ms for latency), per direction
    pipe_cost: float
    tree_reserved_bps: int  # Σ over tree links of the bit/s reserved (per direction)
    pipe_reserved_bps: int  # Σ over pairs of min(b_i, b_j) × hops of their path (per direction)
    optimal: bool  # True: the best shortest-path tree; False: the capacity-aware fallback

    @property
    def saving(self) -> float:
        """1 − tree cost / pipe cost: the share of the full mesh's reservation the tree spares."""
        return 0.0 if self.pipe_cost <= 0 else 1 - self.tree_cost / self.pipe_cost

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root,
                "edges": [{"link": e.link, "parent": e.parent, "child": e.child, "reserved_bps": e.reserved_bps}
                          for e in self.edges],
                "tree_cost": self.tree_cost, "pipe_cost": self.pipe_cost,
                "tree_reserved_bps": self.tree_reserved_bps, "pipe_reserved_bps": self.pipe_reserved_bps,
                "saving": round(self.saving, 6), "optimal": self.optimal}


@dataclass(frozen=True, slots=True)
class _Trees:
    """Per candidate root (rows): reserved bit/s and arc of the edge into each node, and the cost."""

    roots: np.ndarray  # intp [R]
    reserved: np.ndarray  # int64 [R, n]; 0 where the node's incoming tree edge reserves nothing
    arc: np.ndarray  # intp [R, n]; -1 for the root and unreached nodes
    cost: np.ndarray  # float64 [R]; inf when a site is unreachable


def hose_tree(graph: CompiledGraph, ledger: CapacityLedger | None,
              sites: Mapping[str, int] | Iterable[tuple[str | int, int]], *, start: Instant = None,
              end: Instant = None, metric: str = "latency", exclude_nodes: Iterable[str | int] = (),
              exclude_links: Iterable[str | int] = (), exclude_srlgs: Iterable[str] = (),
              allowed: np.ndarray | None = None) -> HoseTree:
    """The cheapest hose tree joining `sites` (PoP → rate bit/s, or (PoP, rate) pairs) that fits."""
    site_list = _validate_sites(graph, sites)
    window = (to_seconds(start, default=ALWAYS, field="start"), to_seconds(end, default=NEVER, field="end"))
    weights = graph.weights(metric)
    mask = resolve_exclusions(graph, exclude_nodes, exclude_links, exclude_srlgs)
    if allowed is not None:
        mask = allowed if mask is None else mask & allowed
    reduced = graph.full[metric] if mask is None else graph.reduce_arcs(mask, metric)
    rates = np.zeros(graph.node_count, dtype=np.int64)
    for node, bps in site_list:
        rates[node] += bps
    site_nodes = np.flatnonzero(rates)
    pipe_cost, pipe_reserved = _pipe_model(reduced, site_list, graph.node_count)
    if len(site_nodes) == 1:  # every site on one PoP: nothing crosses the backbone
        return HoseTree(root=graph.nodes[int(site_nodes[0])], edges=(), arc_bps={}, tree_cost=0.0, pipe_cost=0.0,
                        tree_reserved_bps=0, pipe_reserved_bps=0, optimal=True)

    best: _Trees | None = None
    candidates: list[tuple[float, int, _Trees, int]] = []
    batch = max(1, ROOTS_PER_BATCH_CELLS // graph.node_count)
    for first in range(0, graph.node_count, batch):
        roots = np.arange(first, min(first + batch, graph.node_count), dtype=np.intp)
        _, pred = dijkstra(reduced.matrix, directed=True, indices=roots, return_predecessors=True)
        trees = _grow(pred, roots, rates, reduced, weights, graph.node_count)
        candidates.extend((float(trees.cost[k]), int(roots[k]), trees, k) for k in range(len(roots))
                          if np.isfinite(trees.cost[k]))
    if not candidates:
        raise InfeasibleError("the sites are not all connected" + (" once the excluded elements are taken out"
                                                                   if mask is not None else ""),
                              details={"reason": "unreachable", "bottleneck": [], "earliest_fit": None})
    candidates.sort(key=lambda c: (c[0], c[1]))
    for _, _, trees, row in candidates:
        arc_bps = _arc_bps(trees, row)
        if not _shortfall(graph, ledger, arc_bps, window):
            return _result(graph, trees, row, arc_bps, pipe_cost, pipe_reserved, optimal=True)
    best = candidates[0][2]
    fallback = _capacity_aware(graph, ledger, reduced, mask, rates, weights, window, metric, candidates)
    if fallback is not None:
        trees, row = fallback
        return _result(graph, trees, row, _arc_bps(trees, row), pipe_cost, pipe_reserved, optimal=False)
    short = _shortfall(graph, ledger, _arc_bps(best, candidates[0][3]), window)
    names = ", ".join(sorted({b["link"] for b in short}))
    raise InfeasibleError(f"no VPN tree for these sites fits the free capacity (cheapest tree lacks room on {names})",
                          details={"reason": "capacity", "bottleneck": short, "earliest_fit": None})


def _validate_sites(graph: CompiledGraph, sites: Mapping[str, int] | Iterable[tuple[str | int, int]]
                    ) -> list[tuple[int, int]]:
    pairs = list(sites.items()) if isinstance(sites, Mapping) else list(sites)
    if not pairs:
        raise ValidationError("a VPN needs at least one site", field="sites", value="")
    result = []
    for pop, bps in pairs:
        node = graph.node_id(pop, field="sites.pop") if isinstance(pop, str) else int(pop)
        if isinstance(bps, bool) or not isinstance(bps, (int, np.integer)) or bps <= 0:
            raise ValidationError("a site's rate must be a positive integer of bit/s", field=f"sites[{pop}].bps",
                                  value=bps)
        result.append((node, int(bps)))
    return result


def _depths(pred: np.ndarray) -> np.ndarray:
    """Hop depth of every node in each row's predecessor tree (pointer jumping); -1 where unreached."""
    rows = np.arange(pred.shape[0])[:, None]
    jump = np.where(pred >= 0, pred, -1)
    depth = (pred >= 0).astype(np.int64)
    while (jump >= 0).any():
        has = jump >= 0
        safe = np.where(has, jump, 0)
        depth = depth + np.where(has, depth[rows, safe], 0)
        jump = np.where(has, jump[rows, safe], -1)
    return depth


def _grow(pred: np.ndarray, roots: np.ndarray, rates: np.ndarray, reduced: ReducedGraph, weights: np.ndarray,
          n: int) -> _Trees:
    """Subtree rate sums and reservations of each row's shortest-path tree, all rows at once."""
    total = int(rates.sum())
    depth = _depths(pred)
    below = np.broadcast_to(rates, pred.shape).copy()  # Σ rates in the subtree of each node
    for level in range(int(depth.max()), 0, -1):  # leaves first: each node adds its subtree to its parent
        rows, cols = np.nonzero(depth == level)
        np.add.at(below, (rows, pred[rows, cols]), below[rows, cols])
    has_parent = pred >= 0
    reserved = np.where(has_parent, np.minimum(below, total - below), 0)
    entry_keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(reduced.matrix.indptr)) * n + reduced.matrix.indices
    keys = np.where(has_parent, pred.astype(np.int64) * n + np.arange(n), 0)
    if len(entry_keys):
        found = reduced.entry_arc[np.clip(np.searchsorted(entry_keys, keys), 0, len(entry_keys) - 1)]
        arc = np.where(has_parent, found, -1)
    else:  # no arc at all: every root stands alone
        arc = np.full(pred.shape, -1, dtype=np.intp)
    padded = np.append(weights, 0.0)  # arc −1 (no edge) reads the trailing 0
    cost = np.where(reserved > 0, reserved * padded[arc], 0.0).sum(axis=1)
    reached = has_parent | (np.arange(n)[None, :] == roots[:, None])
    cost = np.where((reached | (rates == 0)[None, :]).all(axis=1), cost, np.inf)
    return _Trees(roots=roots, reserved=reserved, arc=arc.astype(np.intp), cost=cost)


def _arc_bps(trees: _Trees, row: int) -> dict[int, int]:
    booked: dict[int, int] = {}
    for node in np.flatnonzero(trees.reserved[row] > 0):
        arc, bps = int(trees.arc[row, node]), int(trees.reserved[row, node])
        booked[arc] = booked.get(arc, 0) + bps
        booked[arc ^ 1] = booked.get(arc ^ 1, 0) + bps
    return booked


def _shortfall(graph: CompiledGraph, ledger: CapacityLedger | None, arc_bps: dict[int, int],
               window: tuple[float, float]) -> list[dict[str, Any]]:
    short = []
    for arc, bps in sorted(arc_bps.items()):
        if ledger is None:
            free = int(graph.arc_capacity_bps[arc])
        elif ledger.free_bound_bps[arc] >= bps:
            continue
        else:
            free = ledger.free_bps(arc, window[0], window[1])
        if free < bps:
            link, a, b = graph.arc_name(arc)
            short.append({"link": link, "a": a, "b": b, "free_bps": free, "asked_bps": bps})
    return short


def _capacity_aware(graph: CompiledGraph, ledger: CapacityLedger | None, reduced: ReducedGraph,
                    mask: np.ndarray | None, rates: np.ndarray, weights: np.ndarray, window: tuple[float, float],
                    metric: str, candidates: list[tuple[float, int, _Trees, int]]) -> tuple[_Trees, int] | None:
    """Per root in cost order: drop the links that lacked room and re-grow, a few rounds."""
    best: tuple[float, int, _Trees] | None = None
    for _, root, trees, row in candidates:
        usable = np.ones(graph.arc_count, dtype=bool) if mask is None else mask.copy()
        arc_bps = _arc_bps(trees, row)
        for _round in range(CAPACITY_ROUNDS):
            short = _shortfall(graph, ledger, arc_bps, window)
            if not short:
                break
            for entry in short:
                usable[list(graph.arcs_of_link(graph.link_index[entry["link"]]))] = False
            regrown = graph.reduce_arcs(usable, metric)
            _, pred = dijkstra(regrown.matrix, directed=True, indices=[root], return_predecessors=True)
            trees = _grow(pred, np.array([root], dtype=np.intp), rates, regrown, weights, graph.node_count)
            row = 0
            if not np.isfinite(trees.cost[0]):
                break
            arc_bps = _arc_bps(trees, 0)
        else:
            continue
        fits = np.isfinite(trees.cost[row]) and not _shortfall(graph, ledger, arc_bps, window)
        if fits and (best is None or (float(trees.cost[row]), root) < (best[0], best[1])):
            best = (float(trees.cost[row]), root, trees if row == 0 else _single(trees, row))
    return None if best is None else (best[2], 0)


def _single(trees: _Trees, row: int) -> _Trees:
    return _Trees(roots=trees.roots[row:row + 1], reserved=trees.reserved[row:row + 1], arc=trees.arc[row:row + 1],
                  cost=trees.cost[row:row + 1])


def _pipe_model(reduced: ReducedGraph, sites: list[tuple[int, int]], n: int) -> tuple[float, int]:
    """(cost, reserved bit/s × hops) of the full mesh: each pair reserves min(b_i, b_j) on its shortest path."""
    if len(sites) < 2:
        return 0.0, 0
    nodes = np.array([node for node, _ in sites], dtype=np.intp)
    rates = np.array([bps for _, bps in sites], dtype=np.int64)
    unique, where = np.unique(nodes, return_inverse=True)
    dist, pred = dijkstra(reduced.matrix, directed=True, indices=unique, return_predecessors=True)
    hops = _depths(pred)
    i, j = np.triu_indices(len(sites), k=1)
    pair_bps = np.minimum(rates[i], rates[j])
    d = dist[where[i], nodes[j]]
    h = hops[where[i], nodes[j]]
    same = nodes[i] == nodes[j]
    cost = float(np.where(same, 0.0, pair_bps * d).sum())
    reserved = int(np.where(same | ~np.isfinite(d), 0, pair_bps * h).sum())
    return cost, reserved


def _result(graph: CompiledGraph, trees: _Trees, row: int, arc_bps: dict[int, int], pipe_cost: float,
            pipe_reserved: int, *, optimal: bool) -> HoseTree:
    edges = []
    for node in np.flatnonzero(trees.reserved[row] > 0):
        link, parent, child = graph.arc_name(int(trees.arc[row, node]))
        edges.append(TreeEdge(link=link, parent=parent, child=child, reserved_bps=int(trees.reserved[row, node])))
    return HoseTree(root=graph.nodes[int(trees.roots[row])], edges=tuple(edges), arc_bps=arc_bps,
                    tree_cost=float(trees.cost[row]), pipe_cost=pipe_cost,
                    tree_reserved_bps=sum(e.reserved_bps for e in edges), pipe_reserved_bps=pipe_reserved,
                    optimal=optimal)
