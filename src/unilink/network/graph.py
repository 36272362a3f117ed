"""The backbone compiled into arrays, once per topology version.

Nodes are PoPs (in the order of `Network.pops`, so that every result is deterministic). Each `Link`
gives two directed **arcs**: arc ``2*i`` runs ``a → b`` and arc ``2*i + 1`` runs ``b → a`` of link
``i`` (links in the order of `Network.links`). Per-arc arrays hold latency (ms), IGP metric,
capacity (int bit/s) and the link id; SRLG membership is kept per link.

Path searches run scipy.sparse.csgraph on CSR matrices. Parallel links between the same two PoPs are
allowed in the inventory, but a CSR matrix holds one entry per (u, v): `reduce_arcs` keeps the
cheapest usable arc of each pair (ties by arc id) and remembers which arc it kept, so a path of
nodes maps back to arcs exactly.

Pure: no I/O, and nothing here changes after `compile` except the lazily filled caches of
unconstrained shortest-path trees (one per source and metric).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from unilink.errors import NotFoundError, ValidationError
from unilink.inventory.model import Link, Network

METRICS = ("latency", "igp")
DIRECTIONS = ("ab", "ba")  # a link's two directions: a → b and b → a (the order of its two arcs)
_DIRECTION_OFFSET = {"ab": 0, "ba": 1}


def arc_of(link: int, direction: str) -> int:
    """The arc of link number `link` running in `direction` ("ab": arc 2*link, "ba": 2*link + 1).

    A KeyError for any other direction: the ledger's rows only ever hold these two."""
    return 2 * link + _DIRECTION_OFFSET[direction]


def direction_of(arc: int) -> str:
    """The direction ("ab" or "ba") an arc runs along its link."""
    return DIRECTIONS[arc % 2]

METRICS_ACCEPTED = "latency or igp"
# Cache bounds: the trees cache holds at most ~TREE_CACHE_CELLS distances (2 arrays of n per tree), so a
# 10,000-node graph keeps the 200 most recent sources and a 150-node one every source; paths are small.
TREE_CACHE_CELLS = 2_000_000
PATH_CACHE_ENTRIES = 50_000


@dataclass(frozen=True, slots=True)
class ReducedGraph:
    """A CSR matrix with one entry per (u, v) pair and, aligned with its data, the arc it stands for."""

    matrix: csr_matrix
    entry_arc: np.ndarray  # int64 [nnz]: the arc id behind each CSR entry

    def arc_between(self, u: int, v: int) -> int:
        start, stop = self.matrix.indptr[u], self.matrix.indptr[u + 1]
        row = self.matrix.indices[start:stop]
        pos = int(np.searchsorted(row, v))
        if pos >= len(row) or row[pos] != v:  # pragma: no cover - a predecessor always has an entry
            raise KeyError((u, v))
        return int(self.entry_arc[start + pos])


@dataclass(slots=True)
class CachedPath:
    """An unconstrained least-cost path, cached on the compiled graph."""

    nodes: tuple[int, ...]
    arcs: np.ndarray  # intp [hops]
    cost: float
    result: object = None  # the caller's ready-made answer for this path (cspf keeps its `Path` here)
    reverse_arcs: np.ndarray | None = None  # the same links the other way
    memo: tuple[int, int, int, int] | None = None  # (ledger token, ledger version, min bound fwd, min bound back)


@dataclass(slots=True)
class FilteredTree:
    """A shortest-path tree over a subset of arcs, with the paths already walked out of it (by target)."""

    dist: np.ndarray
    pred: np.ndarray
    paths: dict[int, object] = field(default_factory=dict)  # target → the caller's path object


@dataclass(eq=False)
class CompiledGraph:
    """Arrays for path computation. Build with `CompiledGraph.compile(network)`."""

    nodes: tuple[str, ...]
    node_index: dict[str, int]
    links: tuple[Link, ...]
    link_index: dict[str, int]
    arc_src: np.ndarray  # intp [arcs]
    arc_dst: np.ndarray  # intp [arcs]
    arc_link: np.ndarray  # intp [arcs]
    arc_reverse: np.ndarray  # intp [arcs]: the other direction of the same link (arc ^ 1)
    arc_latency_ms: np.ndarray  # float64 [arcs]
    arc_igp: np.ndarray  # float64 [arcs] (integers stored as floats for csgraph)
    arc_capacity_bps: np.ndarray  # int64 [arcs]
    link_srlgs: tuple[frozenset[str], ...]
    srlg_links: dict[str, tuple[int, ...]]
    out_arcs: tuple[tuple[int, ...], ...]  # per node, its outgoing arcs in arc order
    full: dict[str, ReducedGraph] = field(default_factory=dict)
    # Pair structure: arcs grouped by (u, v), one CSR entry per group, in CSR (row-major) order.
    _pair_order: np.ndarray = field(default=None, repr=False)  # arcs sorted by (u*n+v, arc id)
    _pair_starts: np.ndarray = field(default=None, repr=False)  # start of each group in _pair_order
    _pair_entry: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)
    _group_arcs: list[tuple[int, ...]] = field(default_factory=list, repr=False)
    _sorted_weights: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _scratch: dict[str, csr_matrix] = field(default_factory=dict, repr=False)
    # Plain Python copies of the per-arc arrays: indexing a list is ~10× faster than a numpy scalar.
    arc_src_list: list[int] = field(default_factory=list, repr=False)
    arc_dst_list: list[int] = field(default_factory=list, repr=False)
    arc_link_name: list[str] = field(default_factory=list, repr=False)
    arc_latency_list: list[float] = field(default_factory=list, repr=False)
    arc_igp_list: list[int] = field(default_factory=list, repr=False)
    _trees: OrderedDict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = field(default_factory=OrderedDict)
    _filtered_trees: OrderedDict[tuple[str, int, bytes], FilteredTree] = field(default_factory=OrderedDict)
    _paths: OrderedDict[tuple[str, int, int], CachedPath | None] = field(default_factory=OrderedDict)

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def compile(cls, network: Network) -> CompiledGraph:
        nodes = tuple(p.name for p in network.pops)
        node_index = {name: i for i, name in enumerate(nodes)}
        links = tuple(network.links)
        arc_count = 2 * len(links)
        arc_src = np.empty(arc_count, dtype=np.intp)
        arc_dst = np.empty(arc_count, dtype=np.intp)
        for i, link in enumerate(links):
            for end in (link.a, link.b):
                if end not in node_index:
                    raise ValidationError("unknown PoP", field=f"link[{link.name}]", value=end,
                                          accepted="the name of a PoP of this network")
            arc_src[2 * i], arc_dst[2 * i] = node_index[link.a], node_index[link.b]
            arc_src[2 * i + 1], arc_dst[2 * i + 1] = node_index[link.b], node_index[link.a]
        per_arc = np.repeat
        srlg_links: dict[str, list[int]] = {}
        for i, link in enumerate(links):
            for srlg in link.srlgs:
                srlg_links.setdefault(srlg, []).append(i)
        graph = cls(
            nodes=nodes,
            node_index=node_index,
            links=links,
            link_index={link.name: i for i, link in enumerate(links)},
            arc_src=arc_src,
            arc_dst=arc_dst,
            arc_link=np.arange(arc_count, dtype=np.intp) // 2,
            arc_reverse=np.arange(arc_count, dtype=np.intp) ^ 1,
            arc_latency_ms=per_arc(np.array([lk.latency_ms for lk in links], dtype=np.float64), 2),
            arc_igp=per_arc(np.array([lk.igp_metric for lk in links], dtype=np.float64), 2),
            arc_capacity_bps=per_arc(np.array([lk.capacity_bps for lk in links], dtype=np.int64), 2),
            link_srlgs=tuple(frozenset(lk.srlgs) for lk in links),
            srlg_links={name: tuple(ids) for name, ids in sorted(srlg_links.items())},
            out_arcs=_group_by(arc_src, len(nodes)),
        )
        everything = np.ones(arc_count, dtype=bool)
        for metric in METRICS:
            graph.full[metric] = graph.reduce_arcs(everything, metric)
        graph._build_pairs()
        return graph

    def _build_pairs(self) -> None:
        n = self.node_count
        keys = self.arc_src.astype(np.int64) * n + self.arc_dst
        order = np.lexsort((np.arange(self.arc_count), keys))
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if len(order) else order
        self._pair_order, self._pair_starts = order, starts
        bounds = [*starts.tolist(), len(order)]
        ids = order.tolist()
        self._group_arcs = [tuple(ids[bounds[e]:bounds[e + 1]]) for e in range(len(starts))]
        pair_keys = sorted_keys[starts]
        self._pair_entry = {(int(k) // n, int(k) % n): e for e, k in enumerate(pair_keys.tolist())}
        for metric in METRICS:
            self._sorted_weights[metric] = self.weights(metric)[order].astype(np.float64)
            self._scratch[metric] = self.full[metric].matrix.copy()  # same structure: one entry per pair
        self.arc_src_list = self.arc_src.tolist()
        self.arc_dst_list = self.arc_dst.tolist()
        self.arc_link_name = [self.links[i].name for i in self.arc_link.tolist()]
        self.arc_latency_list = self.arc_latency_ms.tolist()
        self.arc_igp_list = [int(x) for x in self.arc_igp.tolist()]

    # -- sizes and names ----------------------------------------------------------------------------
    @property
    def node_count(self) -> int:
        return len(self.nodes)

    @property
    def arc_count(self) -> int:
        return len(self.arc_src)

    def node_id(self, name: str, *, field: str = "node") -> int:
        try:
            return self.node_index[name]
        except KeyError:
            raise NotFoundError(f"unknown node {name!r}", field=field, value=name,
                                accepted="the name of a PoP of the backbone") from None

    def link_id(self, name: str, *, field: str = "link") -> int:
        try:
            return self.link_index[name]
        except KeyError:
            raise NotFoundError(f"unknown link {name!r}", field=field, value=name,
                                accepted="the name of a backbone link") from None

    def arc_name(self, arc: int) -> tuple[str, str, str]:
        """(link name, from PoP, to PoP) of an arc."""
        return (self.links[int(self.arc_link[arc])].name, self.nodes[int(self.arc_src[arc])],
                self.nodes[int(self.arc_dst[arc])])

    def arcs_of_link(self, link: int) -> tuple[int, int]:
        return arc_of(link, "ab"), arc_of(link, "ba")

    def arc_id(self, link_name: str, direction: str) -> int:
        """The arc of the link named `link_name` in `direction` ("ab" or "ba")."""
        return arc_of(self.link_id(link_name), direction)

    def weights(self, metric: str) -> np.ndarray:
        if metric == "latency":
            return self.arc_latency_ms
        if metric == "igp":
            return self.arc_igp
        raise ValidationError(f"unknown metric {metric!r}", field="metric", value=metric, accepted=METRICS_ACCEPTED)

    # -- reduced CSR graphs -------------------------------------------------------------------------
    def reduce_arcs(self, usable: np.ndarray, metric: str, weights: np.ndarray | None = None) -> ReducedGraph:
        """CSR of the usable arcs, keeping the cheapest arc per (u, v) pair (ties: lowest arc id)."""
        w = self.weights(metric) if weights is None else weights
        arcs = np.flatnonzero(usable)
        n = self.node_count
        keys = self.arc_src[arcs] * n + self.arc_dst[arcs]
        order = np.lexsort((arcs, w[arcs], keys))
        arcs, keys = arcs[order], keys[order]
        first = np.ones(len(arcs), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        kept = arcs[first]
        rows = self.arc_src[kept]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        # csr_matrix keeps explicit zeros, which csgraph treats as zero-cost edges: a 0 ms link stays a link.
        matrix = csr_matrix((w[kept].astype(np.float64), self.arc_dst[kept].astype(np.int32), indptr), shape=(n, n))
        return ReducedGraph(matrix=matrix, entry_arc=kept.astype(np.int64))

    def filtered_matrix(self, usable: np.ndarray, metric: str) -> csr_matrix:
        """The CSR of `metric` keeping only usable arcs (unusable pairs weigh +inf, which csgraph ignores).

        Returns a scratch matrix owned by the graph and overwritten by the next call: use it at once.
        """
        weights = np.where(usable[self._pair_order], self._sorted_weights[metric], np.inf)
        matrix = self._scratch[metric]
        if len(weights):
            matrix.data[:] = np.minimum.reduceat(weights, self._pair_starts)
        return matrix

    def filtered_tree(self, usable: np.ndarray, metric: str, source: int) -> FilteredTree:
        """(distances, predecessors) from `source` over the usable arcs only; cached by the mask itself.

        Keyed by the bit mask rather than a ledger version, so it can never be stale: requests that see
        the same usable arcs (same window and similar rates, or one failure scenario) share one Dijkstra.
        """
        key = (metric, source, np.packbits(usable).tobytes())
        tree = self._filtered_trees.get(key)
        if tree is not None:
            self._filtered_trees.move_to_end(key)
            return tree
        dist, pred = dijkstra(self.filtered_matrix(usable, metric), directed=True, indices=source,
                              return_predecessors=True)
        tree = FilteredTree(dist=dist, pred=pred)
        self._filtered_trees[key] = tree
        if len(self._filtered_trees) > max(16, TREE_CACHE_CELLS // max(1, self.node_count)):
            self._filtered_trees.popitem(last=False)
        return tree

    def usable_arc(self, u: int, v: int, usable: np.ndarray, metric: str) -> int:
        """The cheapest usable arc u → v (ties: lowest id); the filtered matrix had it as the (u, v) entry."""
        weights = self.arc_latency_list if metric == "latency" else self.arc_igp_list
        group = self._group_arcs[self._pair_entry[(u, v)]]
        return min((a for a in group if usable[a]), key=lambda a: (weights[a], a))

    # -- unconstrained shortest paths (cached) ------------------------------------------------------
    def shortest_tree(self, source: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(distances, predecessors) of the unconstrained shortest-path tree from `source`."""
        key = (metric, source)
        tree = self._trees.get(key)
        if tree is None:
            dist, pred = dijkstra(self.full[metric].matrix, directed=True, indices=source, return_predecessors=True)
            tree = (dist, pred)
            self._trees[key] = tree
            if len(self._trees) > max(16, TREE_CACHE_CELLS // max(1, self.node_count)):
                self._trees.popitem(last=False)  # least recently computed
        return tree

    def all_shortest_trees(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors from every node (one csgraph call), filling the per-source cache."""
        return dijkstra(self.full[metric].matrix, directed=True, return_predecessors=True)

    def shortest_path(self, source: int, target: int, metric: str) -> CachedPath | None:
        """The unconstrained least-cost path, or None when `target` is unreachable."""
        key = (metric, source, target)
        try:
            return self._paths[key]
        except KeyError:
            pass
        dist, pred = self.shortest_tree(source, metric)
        path = None
        if np.isfinite(dist[target]):
            nodes = walk_predecessors(pred, source, target)
            entry_arc = self.full[metric].entry_arc
            pair_entry = self._pair_entry
            arcs = np.array([entry_arc[pair_entry[(u, v)]] for u, v in zip(nodes, nodes[1:], strict=False)],
                            dtype=np.intp)
            path = CachedPath(nodes=tuple(nodes), arcs=arcs, cost=float(dist[target]), reverse_arcs=arcs ^ 1)
        self._paths[key] = path
        if len(self._paths) > PATH_CACHE_ENTRIES:
            self._paths.popitem(last=False)
        return path


def _group_by(owner: np.ndarray, count: int) -> tuple[tuple[int, ...], ...]:
    """For each of `count` owners, the indices i (ascending) with owner[i] == that owner."""
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(count + 1))
    ids = order.tolist()
    return tuple(tuple(ids[bounds[k]:bounds[k + 1]]) for k in range(count))


def walk_predecessors(pred: np.ndarray, source: int, target: int) -> list[int]:
    """Node ids from `source` to `target` along a csgraph predecessor array."""
    nodes = [target]
    back = pred.tolist() if len(pred) < 4096 else pred  # a list walks faster than numpy scalars
    while nodes[-1] != source:
        nodes.append(int(back[nodes[-1]]))
    nodes.reverse()
    return nodes
