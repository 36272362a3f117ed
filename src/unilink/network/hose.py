"""IP-VPN reservations under the hose model, symmetric or asymmetric: one tree, reserved arc by arc.

The hose model (Duffield, Goyal, Greenberg, Mishra, Ramakrishnan, van der Merwe, "A flexible model
for resource management in virtual private networks", SIGCOMM 1999) bounds what each site may send
(egress, its access's up rate) and receive (ingress, its down rate), to any mix of the other sites.
Reserving on a tree T, edge {u, v} splits the sites in two sides S (u's) and S̄ (v's); the traffic that
any matrix allowed by the hose sends across it from u to v is at most min(Σ_{i∈S} up_i, Σ_{j∈S̄} down_j),
and some matrix sends exactly that (a transportation problem between the two sides), so that is what
arc u → v reserves, and symmetrically for v → u. With up = down = b_i (the symmetric hose) both
directions reserve min(Σ_S b, Σ_S̄ b). An asymmetric access (FTTH 1G/500M, ADSL 20M/1M) therefore
books its small rate where only it can be the bottleneck, not its big rate both ways.

For the symmetric hose a shortest-path tree from a well-chosen root is an optimal tree (Gupta,
Kleinberg, Kumar, Rastogi, Yener, "Provisioning a virtual private network", STOC 2001; Kumar, Rastogi,
Silberschatz, Yener, "Algorithms for provisioning virtual private networks in the hose model",
SIGCOMM 2001), and trees are optimal among all routings (Goyal, Olver, Shepherd, "The VPN conjecture
is true", J. ACM 2013). For the asymmetric hose the optimal tree is NP-hard even without capacities
(Kumar et al. 2001), so we keep the same candidates — one shortest-path tree per root — and rank them
by their asymmetric cost: the best of them, not a proven optimum. Each candidate's asymmetric booking
is at most its symmetric booking with max(down, up) per site, arc by arc, so whenever the symmetric
hose over max(down, up) would have chosen a shortest-path tree, the asymmetric choice costs no more
(that tree is among the candidates, and fits if it fitted). Steps:
1. one scipy Dijkstra from every node (batched) gives every candidate root's shortest-path tree;
2. subtree sums of down and up rates are pushed up the trees level by level, for all roots at once
   (numpy), giving each tree arc's reservation in both directions;
3. cost(root) = Σ over tree arcs of reserved × weight (bit/s × ms for the latency metric), halved to
   give a per-direction figure; roots are tried in increasing cost (ties: node order) and the first
   whose tree fits the free capacity, direction by direction, wins.
If no shortest-path tree fits, a capacity-aware heuristic re-grows each root's tree without the
links that lacked room in either direction (a few rounds per root); the capacitated problem is
NP-hard even for the symmetric hose (Kumar et al. 2001), so that tree is feasible but not guaranteed
optimal. Nothing fits → `InfeasibleError` naming the cheapest tree's short links.

The pipe model, for comparison: a full mesh where each ordered pair (i, j) reserves min(up_i, down_j)
from i to j on its shortest path. Under the symmetric hose its cost is never below the best tree's
(the tree is optimal and the mesh is a feasible hose reservation), so `saving` is what the customer
is spared; under an asymmetric one the tree is the best shortest-path tree, not a proven optimum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from scipy.sparse.csgraph import dijkstra

from unilink.errors import InfeasibleError, ValidationError
from unilink.network.cspf import resolve_exclusions
from unilink.network.graph import CompiledGraph, ReducedGraph
from unilink.network.ledger import ALWAYS, NEVER, CapacityLedger, Instant, to_seconds

ROOTS_PER_BATCH_CELLS = 4_000_000  # rows × nodes of the all-roots matrices held at once
CAPACITY_ROUNDS = 4  # re-growth rounds per root in the capacity-aware fallback


class SiteRate(NamedTuple):
    """A site's hose: at most `down` bit/s towards it (ingress), at most `up` bit/s from it (egress).

    Plain `(down, up)` tuples are accepted wherever a `SiteRate` is; a single int b means (b, b).
    """

    down: int
    up: int


SiteRates = Mapping[str, int | tuple[int, int]] | Iterable[tuple[str | int, int | tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class TreeEdge:
    link: str
    parent: str  # root side
    child: str
    reserved_bps: int  # parent → child (towards the child's side)
    reverse_bps: int  # child → parent; equal to reserved_bps under a symmetric hose


@dataclass(frozen=True)
class HoseTree:
    root: str
    edges: tuple[TreeEdge, ...]
    arc_bps: dict[int, int] = field(repr=False)
    tree_cost: float  # Σ reserved × metric (bit/s·ms for latency) over both directions, halved: per direction
    pipe_cost: float  # the same for the pipe model
    # Bit/s per direction: half the sum over both directions (rounded up; exact for a symmetric hose).
    tree_reserved_bps: int  # Σ over tree arcs of the bit/s reserved
    pipe_reserved_bps: int  # Σ over ordered pairs of min(up_i, down_j) × hops of their path
    optimal: bool  # True: the best shortest-path tree (optimal among all trees for a symmetric hose); False: the
    # capacity-aware fallback

    @property
    def saving(self) -> float:
        """1 − tree cost / pipe cost: the share of the full mesh's reservation the tree spares."""
        return 0.0 if self.pipe_cost <= 0 else 1 - self.tree_cost / self.pipe_cost

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root,
                "edges": [{"link": e.link, "parent": e.parent, "child": e.child, "reserved_bps": e.reserved_bps,
                           "reverse_bps": e.reverse_bps} for e in self.edges],
                "tree_cost": self.tree_cost, "pipe_cost": self.pipe_cost,
                "tree_reserved_bps": self.tree_reserved_bps, "pipe_reserved_bps": self.pipe_reserved_bps,
                "saving": round(self.saving, 6), "optimal": self.optimal}


@dataclass(frozen=True, slots=True)
class _Trees:
    """Per candidate root (rows): the arc into each node, what it reserves each way, and the cost."""

    roots: np.ndarray  # intp [R]
    down: np.ndarray  # int64 [R, n]: bit/s on the arc parent → node (towards the node's subtree); 0 if none
    up: np.ndarray  # int64 [R, n]: bit/s on the reverse arc node → parent; the same array for a symmetric hose
    arc: np.ndarray  # intp [R, n]: the arc parent → node; -1 for the root and unreached nodes
    cost: np.ndarray  # float64 [R]: per direction; inf when a site is unreachable


def hose_tree(graph: CompiledGraph, ledger: CapacityLedger | None, sites: SiteRates, *, start: Instant = None,
              end: Instant = None, metric: str = "latency", exclude_nodes: Iterable[str | int] = (),
              exclude_links: Iterable[str | int] = (), exclude_srlgs: Iterable[str] = (),
              allowed: np.ndarray | None = None) -> HoseTree:
    """The cheapest hose tree joining `sites` that fits.

    `sites`: PoP → rate, or (PoP, rate) pairs (a PoP by name or node id, several sites per PoP add up);
    a rate is an int b (symmetric: b each way) or a `SiteRate` / `(down, up)` pair (asymmetric).
    """
    site_list = _validate_sites(graph, sites)
    window = (to_seconds(start, default=ALWAYS, field="start"), to_seconds(end, default=NEVER, field="end"))
    weights = graph.weights(metric)
    mask = resolve_exclusions(graph, exclude_nodes, exclude_links, exclude_srlgs)
    if allowed is not None:
        mask = allowed if mask is None else mask & allowed
    reduced = graph.full[metric] if mask is None else graph.reduce_arcs(mask, metric)
    down = np.zeros(graph.node_count, dtype=np.int64)
    up = np.zeros(graph.node_count, dtype=np.int64)
    for node, site_down, site_up in site_list:
        down[node] += site_down
        up[node] += site_up
    # One array for both directions when they agree: the symmetric hose costs what it always did.
    rates = (down,) if np.array_equal(down, up) else (down, up)
    site_nodes = np.flatnonzero(down + up)
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


def _validate_sites(graph: CompiledGraph, sites: SiteRates) -> list[tuple[int, int, int]]:
    """(node, down, up) per site."""
    pairs = list(sites.items()) if isinstance(sites, Mapping) else list(sites)
    if not pairs:
        raise ValidationError("a VPN needs at least one site", field="sites", value="")
    result = []
    for pop, rate in pairs:
        node = graph.node_id(pop, field="sites.pop") if isinstance(pop, str) else int(pop)
        if isinstance(rate, tuple):
            if len(rate) != 2 or not all(_is_bps(bps) and bps >= 0 for bps in rate) or not any(rate):
                raise ValidationError("a site's (down, up) rates must be non-negative integers of bit/s, not both 0",
                                      field=f"sites[{pop}].bps", value=rate)
            result.append((node, int(rate[0]), int(rate[1])))
        elif _is_bps(rate) and rate > 0:
            result.append((node, int(rate), int(rate)))
        else:
            raise ValidationError("a site's rate must be a positive integer of bit/s", field=f"sites[{pop}].bps",
                                  value=rate)
    return result


def _is_bps(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


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


def _grow(pred: np.ndarray, roots: np.ndarray, rates: tuple[np.ndarray, ...], reduced: ReducedGraph,
          weights: np.ndarray, n: int) -> _Trees:
    """Both directions' reservations and the cost of each row's shortest-path tree, all rows at once.

    `rates` is (down, up) per node, or (rates,) for a symmetric hose (then computed once).
    """
    depth = _depths(pred)
    below = np.stack([np.broadcast_to(r, pred.shape) for r in rates])  # [k, R, n]: Σ rates in each node's subtree
    for level in range(int(depth.max()), 0, -1):  # leaves first: each node adds its subtree to its parent
        rows, cols = np.nonzero(depth == level)
        np.add.at(below, (slice(None), rows, pred[rows, cols]), below[:, rows, cols])
    has_parent = pred >= 0
    below_down, below_up = below[0], below[-1]
    total_down, total_up = int(rates[0].sum()), int(rates[-1].sum())
    # Arc parent → node carries what the rest can send into the subtree: min(Σ up outside, Σ down inside);
    # the reverse arc what the subtree can send out: min(Σ up inside, Σ down outside).
    down = np.where(has_parent, np.minimum(total_up - below_up, below_down), 0)
    up = down if len(rates) == 1 else np.where(has_parent, np.minimum(below_up, total_down - below_down), 0)
    entry_keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(reduced.matrix.indptr)) * n + reduced.matrix.indices
    keys = np.where(has_parent, pred.astype(np.int64) * n + np.arange(n), 0)
    if len(entry_keys):
        found = reduced.entry_arc[np.clip(np.searchsorted(entry_keys, keys), 0, len(entry_keys) - 1)]
        arc = np.where(has_parent, found, -1)
    else:  # no arc at all: every root stands alone
        arc = np.full(pred.shape, -1, dtype=np.intp)
    padded = np.append(weights, 0.0)  # arc −1 (no edge) reads the trailing 0
    reverse = np.where(arc >= 0, arc ^ 1, -1)
    # Both directions, halved: the per-direction cost, bit for bit the symmetric one when up = down (x + x is
    # exactly 2x in floating point, and halving is exact).
    both = np.where(down > 0, down * padded[arc], 0.0) + np.where(up > 0, up * padded[reverse], 0.0)
    cost = both.sum(axis=1) / 2
    reached = has_parent | (np.arange(n)[None, :] == roots[:, None])
    cost = np.where((reached | ((rates[0] + rates[-1]) == 0)[None, :]).all(axis=1), cost, np.inf)
    return _Trees(roots=roots, down=down, up=up, arc=arc.astype(np.intp), cost=cost)


def _tree_nodes(trees: _Trees, row: int) -> np.ndarray:
    """Nodes whose incoming tree edge reserves something, either way."""
    return np.flatnonzero((trees.down[row] > 0) | (trees.up[row] > 0))


def _arc_bps(trees: _Trees, row: int) -> dict[int, int]:
    booked: dict[int, int] = {}
    for node in _tree_nodes(trees, row):
        arc, down, up = int(trees.arc[row, node]), int(trees.down[row, node]), int(trees.up[row, node])
        if down:
            booked[arc] = booked.get(arc, 0) + down
        if up:
            booked[arc ^ 1] = booked.get(arc ^ 1, 0) + up
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
                    mask: np.ndarray | None, rates: tuple[np.ndarray, ...], weights: np.ndarray,
                    window: tuple[float, float], metric: str, candidates: list[tuple[float, int, _Trees, int]]
                    ) -> tuple[_Trees, int] | None:
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
    return _Trees(roots=trees.roots[row:row + 1], down=trees.down[row:row + 1], up=trees.up[row:row + 1],
                  arc=trees.arc[row:row + 1], cost=trees.cost[row:row + 1])


def _pipe_model(reduced: ReducedGraph, sites: list[tuple[int, int, int]], n: int) -> tuple[float, int]:
    """(cost, reserved bit/s × hops) per direction of the full mesh: i → j reserves min(up_i, down_j)."""
    if len(sites) < 2:
        return 0.0, 0
    nodes = np.array([node for node, _, _ in sites], dtype=np.intp)
    down = np.array([d for _, d, _ in sites], dtype=np.int64)
    up = np.array([u for _, _, u in sites], dtype=np.int64)
    unique, where = np.unique(nodes, return_inverse=True)
    dist, pred = dijkstra(reduced.matrix, directed=True, indices=unique, return_predecessors=True)
    hops = _depths(pred)
    i, j = np.triu_indices(len(sites), k=1)
    pair_bps = np.minimum(up[i], down[j]) + np.minimum(up[j], down[i])  # both ways; links are symmetric
    d = dist[where[i], nodes[j]]
    h = hops[where[i], nodes[j]]
    same = nodes[i] == nodes[j]
    cost = float(np.where(same, 0.0, pair_bps * d).sum()) / 2
    reserved = int(np.where(same | ~np.isfinite(d), 0, pair_bps * h).sum())
    return cost, (reserved + 1) // 2


def _result(graph: CompiledGraph, trees: _Trees, row: int, arc_bps: dict[int, int], pipe_cost: float,
            pipe_reserved: int, *, optimal: bool) -> HoseTree:
    edges = []
    for node in _tree_nodes(trees, row):
        link, parent, child = graph.arc_name(int(trees.arc[row, node]))
        edges.append(TreeEdge(link=link, parent=parent, child=child, reserved_bps=int(trees.down[row, node]),
                              reverse_bps=int(trees.up[row, node])))
    return HoseTree(root=graph.nodes[int(trees.roots[row])], edges=tuple(edges), arc_bps=arc_bps,
                    tree_cost=float(trees.cost[row]), pipe_cost=pipe_cost,
                    tree_reserved_bps=(sum(e.reserved_bps + e.reverse_bps for e in edges) + 1) // 2,
                    pipe_reserved_bps=pipe_reserved, optimal=optimal)
