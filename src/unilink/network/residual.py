"""Admission at saturation: the residual network, indexed by capacity level, and A* on it.

When the backbone is nearly full most requests leave CSPF's fast path (the unconstrained shortest path
lacks room), and each used to cost a search of its own. What the answer depends on is small, though.
For an open-ended window from t0 and a request of b bit/s each way, the usable arcs are those whose
free bit/s from t0 on is at least b both ways. Sorting the distinct values of min(free(arc),
free(reverse arc)) splits every possible rate into a few **levels**, each with one usable set of arcs:
a level keeps its connected components (a refusal is one comparison of two labels) and its
shortest-path trees by source (an answer is a walk down a cached tree, once per pair).

A `ResidualView` holds this for one ledger version and one start t0. Building it reads every loaded
arc's calendar once, so it is built only when it pays: after `build_after(graph)` requests from t0
have missed the fast path at the same version (ski rental: the misses have by then cost about what
the view costs). A write makes it stale; a workload that books between every two requests never
builds one and runs exactly the code it ran before.

A **timed window** [s, e) with s >= t0 uses the same view as bounds: its free bit/s lie between the
free bit/s from t0 on (`low`: it sees no more load than that) and capacity − the lowest load from t0
on (`high`: it sees at least the load at s). Per rate an arc is certain (low >= b), impossible
(high < b) or doubtful; a doubtful link is read once per view and rate as its short spans (when,
from t0 on, either direction lacks b), so checking it for a window is one bisect. The optimistic
level (`high`) proves refusals by its labels; its cached path (or the unconstrained one) is the
answer if its doubtful links are clear; a search over the certain arcs' components proves the other
refusals; **A*** on the optimistic level, checking doubtful arcs as it meets them, finds the rest.

A*'s bound: the larger of the least cost to the target on the optimistic level (its paths include
every usable one) and c × the great-circle distance to the target, with c the least metric per
great-circle km over all arcs of the graph (≈ 0.005 ms/km for latency: light in fibre runs at
~200,000 km/s, and no fibre is shorter than the great circle). For every arc u → v,
w(u, v) >= c × gc(u, v) (definition of c) and gc(u, t) <= gc(u, v) + gc(v, t) (triangle inequality
on the sphere), so h(u) <= w(u, v) + h(v): consistent, hence admissible (and so is the max of two
consistent bounds); A* with a closed set returns a least-cost path. c is computed from the data
rather than assumed: the sample network rounds some latencies to 4.98 µs/km, where a fixed 5 µs/km
would overestimate.

Ties among equal-cost paths: the unconstrained path when it fits (as the fast path answers); on a
level, the path scipy's Dijkstra finds on that level's arcs (the same search, on the same arcs, as the
eager search); in A*, the first popped from a heap ordered by (cost + bound, −cost, node id),
parallel arcs by arc id.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable
from weakref import WeakKeyDictionary

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from unilink.network.graph import CachedPath, CompiledGraph
from unilink.network.ledger import NEVER, CapacityLedger
from unilink.units import EARTH_RADIUS_KM

COST_SLACK = 1e-9  # ms or IGP: float sums along two equal-cost paths may differ in their last bits
BOUND_MARGIN = 1 - 1e-9  # shrinks A*'s bound a hair below the data, so float rounding cannot break consistency
BATCH_NODES = 512  # up to this many nodes a level's trees come from one all-sources Dijkstra
ROWS_PER_LEVEL = 4096  # trees (as lists) and paths kept per level: bounded memory on large graphs
PATHS_PER_LEVEL = 65536
VIEW_STARTS = 4  # views kept per ledger (distinct t0 at the current version)
BOUND_TARGETS = 4096  # A* bounds cached per graph (one list of node count floats per metric and target)


def build_after(graph: CompiledGraph) -> int:
    """Misses at one version before a view is built: its cost (~1 calendar read per arc) in misses (~16 arcs)."""
    return max(2, graph.arc_count // 16)


class Level:
    """The arcs usable at one capacity level, their connected components and shortest paths (by need)."""

    __slots__ = ("mask", "labels", "_entry", "_all", "_rows", "_paths", "_bounds")

    def __init__(self, graph: CompiledGraph, mask: np.ndarray) -> None:
        mask.flags.writeable = False
        self.mask = mask
        arcs = np.flatnonzero(mask)
        n = graph.node_count
        adjacency = coo_matrix((np.ones(len(arcs), dtype=np.int8), (graph.arc_src[arcs], graph.arc_dst[arcs])),
                               shape=(n, n)).tocsr()
        # Undirected is exact here: an arc is usable exactly when its reverse is (the level compares
        # the smaller of the two directions), so weak and strong components coincide.
        self.labels: list[int] = connected_components(adjacency, directed=False)[1].tolist()
        self._entry: dict[str, np.ndarray] = {}  # metric → the arc behind each CSR entry of this level
        self._all: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # metric → (dist, arc into) from every node
        self._rows: dict[tuple[str, int], tuple[list[float], list[int]]] = {}
        self._paths: dict[tuple[str, int, int], tuple[CachedPath, list[int]] | None] = {}
        self._bounds: dict[tuple[str, int], list[float]] = {}

    def tree(self, graph: CompiledGraph, metric: str, s: int) -> tuple[list[float], list[int]]:
        """(distance, arc into) per node of the shortest-path tree from `s` on this level: scipy's Dijkstra,
        from every source at once on small graphs (one call instead of one per source)."""
        row = self._rows.get((metric, s))
        if row is not None:
            return row
        entry = self._entry.get(metric)
        if entry is None:
            entry = self._entry[metric] = graph.cheapest_arcs(self.mask, metric)
        if graph.node_count <= BATCH_NODES:
            every = self._all.get(metric)
            if every is None:
                dist, pred = dijkstra(graph.filtered_matrix(self.mask, metric), directed=True, return_predecessors=True)
                every = self._all[metric] = (dist, graph.arcs_into(pred, entry))
            dist, into = every[0][s], every[1][s]
        else:
            dist, pred = dijkstra(graph.filtered_matrix(self.mask, metric), directed=True, indices=s,
                                  return_predecessors=True)
            into = graph.arcs_into(pred, entry)
        row = self._rows[(metric, s)] = (dist.tolist(), into.tolist())
        if len(self._rows) > ROWS_PER_LEVEL:
            self._rows.clear()
        return row

    def bound(self, graph: CompiledGraph, metric: str, t: int) -> list[float]:
        """A* bound towards `t` for searches on a subset of these arcs: the least cost to `t` on all of them.

        Admissible and consistent for any subgraph (its paths are paths here; shortest-path distances
        satisfy d(u) <= w(u, v) + d(v)); the great-circle bound is taken where it is larger (max of two
        consistent bounds is consistent), which it is beyond this level's reach.
        """
        found = self._bounds.get((metric, t))
        if found is None:
            # The level is symmetric (an arc is usable exactly when its reverse is, at the same weight):
            # distances from t are distances to t.
            dist = self.tree(graph, metric, t)[0]
            found = self._bounds[(metric, t)] = list(map(max, dist, distance_bound(graph, metric, t)))
        return found

    def path(self, graph: CompiledGraph, metric: str, s: int, t: int) -> tuple[CachedPath, list[int]] | None:
        """The least-cost path s → t on this level's arcs (and its arcs as a list), cached; None if none."""
        key = (metric, s, t)
        try:
            return self._paths[key]
        except KeyError:
            pass
        dist, into = self.tree(graph, metric, s)
        found = None
        if dist[t] != math.inf:
            arcs = []
            node, tail = t, graph.arc_src_list
            while node != s:
                arc = into[node]
                arcs.append(arc)
                node = tail[arc]
            arcs.reverse()
            # No numpy here: the caller only reads the arcs, and builds the `Path` (kept in `result`) if it answers.
            found = (CachedPath(nodes=(), arcs=arcs, cost=dist[t], arc_list=arcs), arcs)  # type: ignore[arg-type]
        if len(self._paths) >= PATHS_PER_LEVEL:
            self._paths.clear()
        self._paths[key] = found
        return found


class ResidualView:
    """Free bit/s from `t0` on, both ways, at one ledger version: exact (`low`) and an upper bound (`high`)."""

    __slots__ = ("t0", "version", "low_values", "high_values", "_low", "_high", "_levels", "_bridges",
                 "_spans", "_states")

    def __init__(self, ledger: CapacityLedger, t0: float) -> None:
        low, high = ledger.room_from(t0)
        reverse = ledger.graph.arc_reverse
        self.t0, self.version = t0, ledger.version
        self._low, self._high = np.minimum(low, low[reverse]), np.minimum(high, high[reverse])
        self.low_values: list[int] = np.unique(self._low).tolist()
        self.high_values: list[int] = np.unique(self._high).tolist()
        self._levels: dict[tuple[bool, int], Level] = {}
        self._bridges: dict[int, dict[int, list[int]]] = {}
        self._spans: dict[tuple[int, int], tuple[list[float], list[float]]] = {}
        self._states: dict[tuple[int, bool], list[int]] = {}

    def link_spans(self, ledger: CapacityLedger, link: int, bps: int) -> tuple[list[float], list[float]]:
        """When, from t0 on, either direction of `link` lacks `bps` (`CapacityLedger.short_spans`, merged),
        read once per view."""
        found = self._spans.get((link, bps))
        if found is None:
            found = self._spans[(link, bps)] = _union(ledger.short_spans(2 * link, bps, self.t0),
                                                      ledger.short_spans(2 * link + 1, bps, self.t0))
        return found

    def states(self, bps: int, exact: bool) -> list[int]:
        """Per arc, for `bps` both ways: 0 no room, 1 room (certain), 2 doubtful (a timed window must ask)."""
        key = (bps, exact)
        found = self._states.get(key)
        if found is None:
            certain = self._low >= bps
            found = (certain if exact else np.where(self._high >= bps, 2 - certain, 0)).astype(np.int8).tolist()
            if len(self._states) >= 64:
                self._states.clear()
            self._states[key] = found
        return found

    def bridges(self, graph: CompiledGraph, bps: int, labels: list[int]) -> dict[int, list[int]]:
        """Per component of the arcs certain to carry `bps`, the doubtful arcs leaving it (`labels`: components)."""
        found = self._bridges.get(bps)
        if found is None:
            doubtful = (self._high >= bps) & (self._low < bps)
            component = np.array(labels)
            doubtful &= component[graph.arc_src] != component[graph.arc_dst]
            found = {}
            for arc in np.flatnonzero(doubtful).tolist():
                found.setdefault(labels[graph.arc_src_list[arc]], []).append(arc)
            if len(self._bridges) >= 64:
                self._bridges.clear()
            self._bridges[bps] = found
        return found

    def level(self, graph: CompiledGraph, exact: bool, bps: int) -> Level | None:
        """The level of `bps` on the exact (`low`) or the optimistic (`high`) free bit/s; None: no arc has it."""
        values = self.low_values if exact else self.high_values
        k = bisect_left(values, bps)  # every arc at or above values[k] has bps, and no other
        if k == len(values):
            return None
        level = self._levels.get((exact, k))
        if level is None:
            level = self._levels[(exact, k)] = Level(graph, (self._low if exact else self._high) >= values[k])
        return level


class _Views:
    """A ledger's views at its current version, and the misses counted towards building one per start."""

    __slots__ = ("version", "misses", "views")

    def __init__(self, version: int) -> None:
        self.version = version
        self.misses: dict[float, int] = {}
        self.views: OrderedDict[float, ResidualView] = OrderedDict()


def view_for(ledger: CapacityLedger, window: tuple[float, float], *, missed: bool = False) -> ResidualView | None:
    """A view valid for `window` at the ledger's version, or None.

    With `missed` (the request missed the fast path) an open-ended window counts a miss towards its
    start's view and builds it on the `build_after(graph)`-th. A timed window [s, e) takes the view
    of the latest start t0 <= s; it never builds one (its starts rarely repeat).
    """
    views = ledger.residual_views
    if views is not None and views.version == ledger.version and window[1] == NEVER and not missed:
        return views.views.get(window[0])  # the common case, first
    if views is None:
        views = ledger.residual_views = _Views(ledger.version)
    elif views.version != ledger.version:  # a write made them stale (reset in place: this runs per request)
        views.version = ledger.version
        if views.views:
            views.views.clear()
        if views.misses:
            views.misses.clear()
    start, end = window
    if end != NEVER:
        best = None
        for t0, view in views.views.items():
            if t0 <= start and (best is None or t0 > best.t0):
                best = view
        return best
    view = views.views.get(start)
    if view is not None or not missed:
        return view
    count = views.misses.get(start, 0) + 1
    if count < build_after(ledger.graph):
        if len(views.misses) >= 64:
            views.misses.clear()
        views.misses[start] = count
        return None
    view = views.views[start] = ResidualView(ledger, start)
    if len(views.views) > VIEW_STARTS:
        views.views.popitem(last=False)
    return view


def residual_search(graph: CompiledGraph, ledger: CapacityLedger, view: ResidualView, s: int, t: int, bps: int,
                    window: tuple[float, float], metric: str) -> CachedPath | np.ndarray | None:
    """CSPF for `bps` both ways with a current view.

    Returns the unconstrained path's `CachedPath` when it fits (what the fast path answers: ties stay as
    they were), another `CachedPath` or an arc array (the least-cost feasible path), or None.
    """
    start, end = window
    exact = end == NEVER and start == view.t0
    level = view.level(graph, exact, bps)
    if level is None or level.labels[s] != level.labels[t]:
        return None  # exact: no usable path; optimistic: not even the arcs that might have room join them
    state = view.states(bps, exact)
    if exact:  # the unconstrained path first (a lookup and a pass over its arcs): it often fits
        cached = graph.shortest_path(s, t, metric)
        if cached is not None:
            if cached.arc_list is None:
                cached.arc_list = cached.arcs.tolist()
            if _fits(cached.arc_list, state, _NO_ROOM):
                return cached
        found = level.path(graph, metric, s, t)
        return None if found is None else found[0]
    found = level.path(graph, metric, s, t)
    if found is None:  # pragma: no cover - one component, symmetric arcs: a path exists
        return None
    best, best_arcs = found
    room = _room_check(view, ledger, bps, start, end)
    # Over a timed window checking the unconstrained path reads calendars: only when it may fit, i.e. when
    # the optimistic level's least cost reaches the unconstrained one (read off the cached tree).
    if best.cost <= graph.shortest_tree(s, metric)[0][t] + COST_SLACK:
        cached = graph.shortest_path(s, t, metric)
        if cached is not None:
            if cached.arc_list is None:
                cached.arc_list = cached.arcs.tolist()
            if _fits(cached.arc_list, state, room):
                return cached
    if _fits(best_arcs, state, room):
        return best  # the least cost on a superset of the usable arcs, and it fits: optimal
    if not _joined(graph, view, bps, s, t, room):
        return None
    return astar(graph, state, s, t, metric, room, bound=level.bound(graph, metric, t))


def _NO_ROOM(arc: int) -> bool:  # noqa: N802 - exact views have no doubtful arc to ask about
    return False


def _joined(graph: CompiledGraph, view: ResidualView, bps: int, s: int, t: int, room: Callable[[int], bool]) -> bool:
    """Whether some path s → t has room over a timed window: a search over the components of the certain arcs.

    Arcs whose free bit/s from t0 on cover `bps` have room over every later window; their components
    are joined only by doubtful arcs (`view.bridges`), each checked against its calendar when met. A
    refusal then costs a few calendar reads rather than a search of every node it can reach.
    """
    certain = view.level(graph, True, bps)
    if certain is None:
        labels: list[int] = list(range(graph.node_count))
    else:
        labels = certain.labels
    target = labels[t]
    if labels[s] == target:
        return True
    bridges = view.bridges(graph, bps, labels)
    head = graph.arc_dst_list
    seen = {labels[s]}
    stack = [labels[s]]
    while stack:
        for arc in bridges.get(stack.pop(), ()):
            other = labels[head[arc]]
            if other in seen or not room(arc):
                continue
            if other == target:
                return True
            seen.add(other)
            stack.append(other)
    return False


def _room_check(view: ResidualView, ledger: CapacityLedger, bps: int, start: float,
                end: float) -> Callable[[int], bool]:
    """Whether a doubtful arc's link has `bps` free both ways over a timed window (memoised per link)."""
    verdicts: dict[int, bool] = {}
    spans = view.link_spans

    def room(arc: int) -> bool:
        link = arc >> 1
        verdict = verdicts.get(link)
        if verdict is None:
            starts, ends = spans(ledger, link, bps)
            i = bisect_right(ends, start)  # the first span that ends after the window starts
            verdict = verdicts[link] = i == len(ends) or starts[i] >= end
        return verdict
    return room


def _fits(arcs: list[int], state: list[int], room: Callable[[int], bool]) -> bool:
    """Whether every arc has room: `state` 1 (certain) or 2 (doubtful) and `room` says so."""
    for arc in arcs:
        known = state[arc]
        if known != 1 and (not known or not room(arc)):
            return False
    return True


def _union(a: tuple[list[float], list[float]], b: tuple[list[float], list[float]]) -> tuple[list[float], list[float]]:
    """The union of two lists of disjoint sorted [start, end) spans, as one such list."""
    if not a[0] or not b[0]:
        return a if b[0] == [] else b
    starts: list[float] = []
    ends: list[float] = []
    for start, end in sorted(zip(a[0] + b[0], a[1] + b[1], strict=True)):
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


# -- A* ---------------------------------------------------------------------------------------------
def astar(graph: CompiledGraph, usable: list[int] | list[bool], s: int, t: int, metric: str,
          room: Callable[[int], bool] | None = None, bound: list[float] | None = None) -> np.ndarray | None:
    """Least-cost path s → t over the `usable` arcs: 0/False no, 1/True yes, 2 if `room(arc)` says so (asked
    only of arcs that would improve a node, at most once per search by the caller's memo).

    Best-first by cost + `bound` (default `distance_bound`; it must be consistent, see the module
    docstring), with a closed set: the first time `t` is popped its cost is the least.
    """
    if bound is None:
        bound = distance_bound(graph, metric, t)
    weights = graph.arc_latency_list if metric == "latency" else graph.arc_igp_list
    out, head = graph.out_arcs, graph.arc_dst_list
    inf = math.inf
    cost = [inf] * graph.node_count
    cost[s] = 0.0
    via = [-1] * graph.node_count
    done = [False] * graph.node_count
    heap = [(bound[s], -0.0, s)]
    pop, push = heapq.heappop, heapq.heappush
    while heap:
        _f, g, u = pop(heap)
        if done[u]:
            continue
        if u == t:
            break
        done[u] = True
        g = -g
        for arc in out[u]:
            known = usable[arc]
            if not known:
                continue
            v = head[arc]
            new = g + weights[arc]
            if done[v] or new >= cost[v] or (known == 2 and (room is None or not room(arc))):
                continue
            cost[v] = new
            via[v] = arc
            push(heap, (new + bound[v], -new, v))  # ties: deeper first
    else:
        return None
    arcs = []
    node, tail = t, graph.arc_src_list
    while node != s:
        arc = via[node]
        arcs.append(arc)
        node = tail[arc]
    arcs.reverse()
    return np.array(arcs, dtype=np.intp)


_BOUNDS: WeakKeyDictionary[CompiledGraph, dict[str, object]] = WeakKeyDictionary()


def great_circle_km(graph: CompiledGraph, nodes: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Great-circle km from each of `nodes` to the matching `target` (haversine, as units.great_circle_km)."""
    phi1, phi2 = np.radians(graph.node_lat[nodes]), np.radians(graph.node_lat[target])
    dlmb = np.radians(graph.node_lon[target] - graph.node_lon[nodes])
    h = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def metric_per_km(graph: CompiledGraph, metric: str) -> float:
    """The least `metric` per great-circle km over every arc (0 if some arc is free): A*'s c."""
    cache = _BOUNDS.setdefault(graph, {})
    key = ("per_km", metric)
    if key not in cache:
        km = great_circle_km(graph, graph.arc_src, graph.arc_dst)
        weights = graph.weights(metric)
        apart = km > 0  # co-located PoPs bound nothing: c × 0 <= any weight
        factor = float((weights[apart] / km[apart]).min()) if apart.any() else 0.0
        cache[key] = max(0.0, factor) * BOUND_MARGIN
    return cache[key]  # type: ignore[return-value]


def distance_bound(graph: CompiledGraph, metric: str, target: int) -> list[float]:
    """Per node, a lower bound of the `metric` of any path to `target`: c × great-circle km."""
    cache = _BOUNDS.setdefault(graph, {})
    bounds = cache.setdefault(("to", metric), OrderedDict())
    found = bounds.get(target)  # type: ignore[union-attr]
    if found is None:
        nodes = np.arange(graph.node_count)
        km = great_circle_km(graph, nodes, np.full(graph.node_count, target))
        found = bounds[target] = (metric_per_km(graph, metric) * km).tolist()  # type: ignore[index]
        if len(bounds) > max(16, BOUND_TARGETS * 110 // max(1, graph.node_count)):  # type: ignore[arg-type]
            bounds.popitem(last=False)  # type: ignore[union-attr]
    return found
