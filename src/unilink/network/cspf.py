"""Constrained shortest path first: the cheapest path whose every arc has the bandwidth free.

`find_path` returns the least-latency (or least-IGP) path from `src` to `dst` on which every arc has
`bps` free over [start, end), within the optional constraints: max latency, max hops, excluded
nodes / links / SRLGs. When nothing fits it raises `InfeasibleError` whose details say why:

    {"reason": "capacity" | "latency" | "hops" | "unreachable",
     "bottleneck": [{"link", "a", "b", "free_bps", "asked_bps"}, ...],
     "earliest_fit": ISO 8601 UTC or None}

How it stays fast (docs/admission.md has the details):
1. **Fast path.** The unconstrained shortest path from a cached shortest-path tree (one scipy Dijkstra
   per source and metric, per topology version). If it avoids the exclusions, satisfies the
   constraints and the ledger's per-arc lower bound of free capacity covers `bps` (one vectorised
   check), it *is* the constrained answer: filtering arcs out can only make paths longer.
2. **Lazy search.** Otherwise search the *optimistic* graph (every arc big enough, calendars unread),
   check only the candidate path's doubtful arcs against the calendars, drop the short ones and search
   again; a candidate that passes is optimal. After a few rounds, or when the window's exact free
   capacity is already memoised, the eager search below is used instead.
3. **Eager search.** Filter every arc by exact free capacity over the window and search once:
   Dijkstra (scipy) without a hop limit; Bellman-Ford by layers with one (least cost within k hops);
   and, for the IGP metric under a latency limit (a resource-constrained shortest path), an exact
   label-setting search over (IGP, latency, hops) Pareto labels.
Refusals name a minimum cut of short links (max-flow) and the earliest start that would fit.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, dijkstra, maximum_flow

from unilink.errors import InfeasibleError, NotFoundError, ValidationError
from unilink.network.graph import CachedPath, CompiledGraph, walk_predecessors
from unilink.network.ledger import (
    ALWAYS,
    NEVER,
    CapacityLedger,
    Instant,
    PathRoute,
    Reservation,
    ReservationId,
    to_iso,
    to_seconds,
)
from unilink.units import describe_bandwidth

_INTEGER = (int, np.integer)
EARLIEST_FIT_CANDIDATES = 2000  # breakpoints tried when looking for the earliest start that fits
LATENCY_SLACK_MS = 1e-9  # float sums of ms: a path equal to the limit must not fail on rounding


@dataclass(frozen=True, slots=True)
class Path:
    """A path through the backbone: PoP names, link names and the directed arcs it uses."""

    nodes: tuple[str, ...]
    links: tuple[str, ...]
    arcs: tuple[int, ...]
    latency_ms: float
    igp_metric: int

    @property
    def hops(self) -> int:
        return len(self.arcs)

    def arc_bps(self, bps: int, reverse_bps: int | None = None) -> dict[int, int]:
        """What a reservation of this path books: `bps` forward, `reverse_bps` (default: same) backward."""
        back = bps if reverse_bps is None else reverse_bps
        booked: dict[int, int] = {}
        for arc in self.arcs:
            booked[arc] = booked.get(arc, 0) + bps
            booked[arc ^ 1] = booked.get(arc ^ 1, 0) + back  # arc ^ 1 is the other direction of the link
        return booked

    def to_dict(self) -> dict[str, Any]:
        return {"path": list(self.nodes), "latency_ms": round(self.latency_ms, 6), "links": list(self.links),
                "igp_metric": self.igp_metric, "hops": self.hops}


@dataclass(frozen=True, slots=True)
class Constraints:
    """Arc mask from the exclusions plus the scalar limits, resolved once per request."""

    allowed: np.ndarray | None  # bool [arcs]; None = nothing excluded
    max_latency_ms: float | None
    max_hops: int | None

    def admits(self, arcs: np.ndarray, latency_ms: float) -> bool:
        if self.allowed is not None and not self.allowed[arcs].all():
            return False
        if self.max_hops is not None and len(arcs) > self.max_hops:
            return False
        return self.max_latency_ms is None or latency_ms <= self.max_latency_ms + LATENCY_SLACK_MS


NO_LIMITS = Constraints(allowed=None, max_latency_ms=None, max_hops=None)


def make_path(graph: CompiledGraph, arcs: Iterable[int]) -> Path:
    arcs = tuple(int(a) for a in arcs)
    if not arcs:
        raise ValidationError("a path needs at least one link", field="path", value="")
    names, dst = graph.nodes, graph.arc_dst_list
    nodes = (names[graph.arc_src_list[arcs[0]]], *(names[dst[a]] for a in arcs))
    latency, igp = graph.arc_latency_list, graph.arc_igp_list
    return Path(nodes=nodes, links=tuple(graph.arc_link_name[a] for a in arcs), arcs=arcs,
                latency_ms=float(sum(latency[a] for a in arcs)), igp_metric=sum(igp[a] for a in arcs))


def resolve_exclusions(graph: CompiledGraph, nodes: Iterable[str | int] = (), links: Iterable[str | int] = (),
                       srlgs: Iterable[str] = ()) -> np.ndarray | None:
    """Bool mask of the arcs left usable once nodes, links and SRLGs are excluded; None if nothing is."""
    node_ids = [graph.node_id(n, field="exclude") if isinstance(n, str) else int(n) for n in nodes]
    link_ids = [graph.link_id(lk, field="exclude") if isinstance(lk, str) else int(lk) for lk in links]
    for srlg in srlgs:
        if srlg not in graph.srlg_links:
            raise ValidationError(f"unknown SRLG {srlg!r}", field="exclude", value=srlg,
                                  accepted="an SRLG named on a backbone link")
        link_ids.extend(graph.srlg_links[srlg])
    if not node_ids and not link_ids:
        return None
    allowed = np.ones(graph.arc_count, dtype=bool)
    if link_ids:
        dead_link = np.zeros(len(graph.links), dtype=bool)
        dead_link[link_ids] = True
        allowed &= ~dead_link[graph.arc_link]
    if node_ids:
        dead_node = np.zeros(graph.node_count, dtype=bool)
        dead_node[node_ids] = True
        allowed &= ~(dead_node[graph.arc_src] | dead_node[graph.arc_dst])
    return allowed


def find_path(graph: CompiledGraph, ledger: CapacityLedger | None, src: str | int, dst: str | int, bps: int, *,
              reverse_bps: int | None = None, start: Instant = None, end: Instant = None, metric: str = "latency",
              max_latency_ms: float | None = None, max_hops: int | None = None,
              exclude_nodes: Iterable[str | int] = (), exclude_links: Iterable[str | int] = (),
              exclude_srlgs: Iterable[str] = (), allowed: np.ndarray | None = None, explain: bool = True,
              look_ahead: bool = True) -> Path:
    """The least-`metric` path with `bps` free on every arc over [start, end). See the module docstring.

    Every arc needs `bps` free src → dst and its reverse `reverse_bps` (default: `bps`, as
    `Path.arc_bps` books; 0 for one-way) dst → src, so that reserving the path cannot fail.
    `allowed` (a bool mask over arcs) may be given instead of exclusion names, e.g. by what-if.
    With `explain=False` an infeasible request raises at once, without bottleneck or earliest fit;
    with `look_ahead=False` it names the bottleneck but does not search for the earliest fit.
    """
    # Validation in the order of the parameters; the common case (names, ints, floats, no constraints)
    # takes the cheap branch of each check, since this runs for every admission.
    s_id = _node(graph, src, "src")
    t_id = _node(graph, dst, "dst")
    if s_id == t_id:
        raise ValidationError("source and destination are the same PoP", field="dst", value=graph.nodes[t_id],
                              accepted="a PoP other than the source")
    if metric != "latency" and metric != "igp":
        graph.weights(metric)  # raises naming the accepted metrics
    bps = bps if type(bps) is int and bps > 0 else _whole_bps(bps, "bandwidth", positive=True)
    if reverse_bps is None:
        reverse_bps = bps
    elif type(reverse_bps) is not int or reverse_bps < 0:
        reverse_bps = _whole_bps(reverse_bps, "reverse_bandwidth", positive=False)
    asked = Asked(bps, reverse_bps)
    if max_hops is not None and max_hops < 1:
        raise ValidationError("max hops must be at least 1", field="max_hops", value=max_hops)
    if max_latency_ms is not None and not max_latency_ms >= 0:
        raise ValidationError("max latency must be >= 0 ms", field="max_latency", value=max_latency_ms)
    window = (ALWAYS if start is None else start if type(start) is float else
              to_seconds(start, default=ALWAYS, field="start"),
              NEVER if end is None else end if type(end) is float else to_seconds(end, default=NEVER, field="end"))
    if not window[0] < window[1]:
        raise ValidationError("the window is empty: start must be before end", field="end", value=end)
    mask = resolve_exclusions(graph, exclude_nodes, exclude_links, exclude_srlgs) if (
        exclude_nodes or exclude_links or exclude_srlgs) else None
    if allowed is not None:
        mask = allowed if mask is None else mask & allowed
    if mask is None and max_latency_ms is None and max_hops is None:
        limits = NO_LIMITS
    else:
        limits = Constraints(allowed=mask, max_latency_ms=max_latency_ms, max_hops=max_hops)
    # An excluded endpoint simply has no usable arc left: the search reports it as unreachable.
    found = _search(graph, ledger, s_id, t_id, asked, window, metric, limits)
    if isinstance(found, CachedPath):  # the unconstrained path itself: its Path is built once and kept
        if found.result is None:
            found.result = make_path(graph, found.arcs)
        return found.result  # type: ignore[return-value]
    if found is not None:
        return make_path(graph, found)
    if not explain:
        raise InfeasibleError("no path fits", details={"bottleneck": [], "earliest_fit": None})
    raise _explain(graph, ledger, s_id, t_id, asked, window, metric, limits, look_ahead)


def _node(graph: CompiledGraph, name: str | int, field: str) -> int:
    node = graph.node_index.get(name) if type(name) is str else None
    if node is not None:
        return node
    if isinstance(name, str):
        return graph.node_id(name, field=field)  # raises NotFoundError naming the field
    if isinstance(name, _INTEGER) and not isinstance(name, bool) and 0 <= name < graph.node_count:
        return int(name)
    raise NotFoundError(f"unknown node {name!r}", field=field, value=name, accepted="the name of a PoP of the backbone")


def _whole_bps(value: object, field: str, *, positive: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, _INTEGER) or value < (1 if positive else 0):
        what = "a positive" if positive else "a non-negative"
        raise ValidationError(f"bandwidth must be {what} integer of bit/s", field=field, value=value)
    return int(value)


def route_of(graph: CompiledGraph, path: Path, bps: int, reverse_bps: int | None = None, *, metric: str = "latency",
             max_latency_ms: float | None = None, max_hops: int | None = None) -> PathRoute:
    """The `PathRoute` to store with a path reservation, so that what-if can re-route it."""
    return PathRoute(src=graph.node_index[path.nodes[0]], dst=graph.node_index[path.nodes[-1]], bps=bps,
                     reverse_bps=bps if reverse_bps is None else reverse_bps, metric=metric,
                     max_latency_ms=max_latency_ms, max_hops=max_hops, arcs=path.arcs)


def book_path(graph: CompiledGraph, ledger: CapacityLedger, path: Path, bps: int, *, service_id: str,
              reverse_bps: int | None = None, start: Instant = None, end: Instant = None,
              hold_until: Instant = None, priority: int = 0, metric: str = "latency",
              max_latency_ms: float | None = None, max_hops: int | None = None,
              reservation_id: ReservationId | None = None) -> Reservation:
    """Reserve `path` (bps forward, reverse_bps back) with the route that lets what-if re-route it."""
    route = route_of(graph, path, bps, reverse_bps, metric=metric, max_latency_ms=max_latency_ms, max_hops=max_hops)
    return ledger.reserve(path.arc_bps(bps, route.reverse_bps), service_id=service_id, start=start, end=end,
                          hold_until=hold_until, priority=priority, route=route, reservation_id=reservation_id)


# -- the search ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Asked:
    bps: int  # along the path
    reverse_bps: int  # on the reverse arcs


def _search(graph: CompiledGraph, ledger: CapacityLedger | None, s: int, t: int, asked: Asked,
            window: tuple[float, float], metric: str, limits: Constraints) -> np.ndarray | CachedPath | None:
    """Arcs of the best feasible path (the cached unconstrained path itself when it fits), or None."""
    cached = graph.shortest_path(s, t, metric)
    if cached is None:
        return None  # not even the bare topology joins them
    if limits is NO_LIMITS or limits.admits(cached.arcs, _latency(graph, cached.arcs, metric, cached.cost)):
        if ledger is None:
            capacity = graph.arc_capacity_bps
            if (capacity[cached.arcs] >= max(asked.bps, asked.reverse_bps)).all():
                return cached
        else:
            memo = cached.memo  # min of the ledger's free-capacity lower bound along the path, per direction
            if memo is None or memo[0] != ledger.token or memo[1] != ledger.version:
                bound = ledger.free_bound_bps
                memo = (ledger.token, ledger.version, int(bound[cached.arcs].min()),
                        int(bound[cached.reverse_arcs].min()))
                cached.memo = memo
            if asked.bps <= memo[2] and asked.reverse_bps <= memo[3]:
                return cached  # the common case: room whatever the window
            if ledger.fits(cached.arcs, asked.bps, *window) and (
                    asked.reverse_bps == 0 or ledger.fits(cached.reverse_arcs, asked.reverse_bps, *window)):
                return cached
    if ledger is not None and not ledger.has_free_memo(window, max(asked.bps, asked.reverse_bps)):
        found = _lazy_search(graph, ledger, s, t, asked, window, metric, limits)
        if found is not _GIVE_UP:
            return found  # type: ignore[return-value]
    usable = has_room(graph, ledger, asked, window)
    if limits.allowed is not None:
        usable &= limits.allowed
    return constrained_search(graph, usable, s, t, metric, limits)


_GIVE_UP = object()
LAZY_ROUNDS = 4


def _lazy_search(graph: CompiledGraph, ledger: CapacityLedger, s: int, t: int, asked: Asked,
                 window: tuple[float, float], metric: str, limits: Constraints) -> np.ndarray | None | object:
    """Search optimistically, reading calendars only for the arcs of the candidate paths.

    Arcs whose free-capacity bound already covers the request are certainly usable; the others are
    assumed usable until a candidate path crosses one, which is then checked exactly and, if short,
    removed. The optimistic graph contains every truly usable arc, so a candidate that passes the
    check is optimal, and "no candidate" means infeasible. After `LAZY_ROUNDS` candidates the caller
    falls back to checking every doubtful arc at once (returns `_GIVE_UP`).
    """
    capacity, bound, reverse = graph.arc_capacity_bps, ledger.window_bound(window[0]), graph.arc_reverse
    optimistic = capacity >= asked.bps
    doubtful = bound < asked.bps
    if asked.reverse_bps:
        optimistic &= (capacity >= asked.reverse_bps)[reverse]
        doubtful |= (bound < asked.reverse_bps)[reverse]
    if limits.allowed is not None:
        optimistic &= limits.allowed
    start, end = window
    for _round in range(LAZY_ROUNDS):
        arcs = constrained_search(graph, optimistic, s, t, metric, limits)
        if arcs is None:
            return None
        short = [a for a in arcs[doubtful[arcs]].tolist()
                 if not ledger.has_room(a, asked.bps, start, end)
                 or (asked.reverse_bps and not ledger.has_room(a ^ 1, asked.reverse_bps, start, end))]
        if not short:
            return arcs
        optimistic = optimistic.copy()
        optimistic[short] = False
    return _GIVE_UP


def has_room(graph: CompiledGraph, ledger: CapacityLedger | None, asked: Asked,
             window: tuple[float, float]) -> np.ndarray:
    """Bool per arc: `bps` free on it and `reverse_bps` free on its reverse, over the window."""
    free = free_per_arc(graph, ledger, max(asked.bps, asked.reverse_bps), window)
    room = free >= asked.bps
    if asked.reverse_bps:
        room &= (free >= asked.reverse_bps)[graph.arc_reverse]
    return room


def free_per_arc(graph: CompiledGraph, ledger: CapacityLedger | None, asked_bps: int,
                 window: tuple[float, float]) -> np.ndarray:
    """Free bit/s per arc over the window, exact at least wherever it is below `asked_bps`."""
    if ledger is None:
        return graph.arc_capacity_bps.copy()
    return ledger.free_all(window[0], window[1], asked_bps)


def _latency(graph: CompiledGraph, arcs: np.ndarray, metric: str, cost: float) -> float:
    return cost if metric == "latency" else float(graph.arc_latency_ms[arcs].sum())


def constrained_search(graph: CompiledGraph, usable: np.ndarray, s: int, t: int, metric: str,
                       limits: Constraints) -> np.ndarray | None:
    """The least-cost path on the `usable` arcs within the latency and hop limits, or None."""
    weights = graph.weights(metric)
    if metric == "igp" and limits.max_latency_ms is not None:
        return _pareto_search(graph, usable, s, t, limits)
    if limits.max_hops is not None:
        arcs = _hop_bounded(graph, usable, weights, s, t, limits.max_hops)
    else:
        tree = graph.filtered_tree(usable, metric, s)
        arcs = tree.paths.get(t)  # type: ignore[assignment]
        if arcs is None:
            if not np.isfinite(tree.dist[t]):
                return None
            nodes = walk_predecessors(tree.pred, s, t)
            arcs = np.array([graph.usable_arc(u, v, usable, metric) for u, v in zip(nodes, nodes[1:], strict=False)],
                            dtype=np.intp)
            arcs.flags.writeable = False  # shared by every request that sees the same usable arcs
            tree.paths[t] = arcs
    if arcs is None:
        return None
    limit = limits.max_latency_ms
    if limit is not None and graph.arc_latency_ms[arcs].sum() > limit + LATENCY_SLACK_MS:
        return None  # the least latency is already too slow (the metric is latency here)
    return arcs


def _hop_bounded(graph: CompiledGraph, usable: np.ndarray, weights: np.ndarray, s: int, t: int,
                 max_hops: int) -> np.ndarray | None:
    """Least-cost path with at most `max_hops` arcs: Bellman-Ford by layers (layer k = paths of <= k arcs)."""
    arcs = np.flatnonzero(usable)
    tail, head, w = graph.arc_src[arcs], graph.arc_dst[arcs], weights[arcs]
    dist = np.full(graph.node_count, math.inf)
    dist[s] = 0.0
    layers: list[np.ndarray] = []  # per layer: the arc that improved each node, or -1
    for _ in range(max_hops):
        reach = np.isfinite(dist[tail])
        cand_arcs, cand_head, cand = arcs[reach], head[reach], dist[tail[reach]] + w[reach]
        order = np.lexsort((cand_arcs, cand, cand_head))  # per head: cheapest, ties by arc id
        cand_arcs, cand_head, cand = cand_arcs[order], cand_head[order], cand[order]
        first = np.ones(len(cand_head), dtype=bool)
        first[1:] = cand_head[1:] != cand_head[:-1]
        cand_arcs, cand_head, cand = cand_arcs[first], cand_head[first], cand[first]
        better = cand < dist[cand_head]
        improved = np.full(graph.node_count, -1, dtype=np.intp)
        improved[cand_head[better]] = cand_arcs[better]
        new = dist.copy()
        new[cand_head[better]] = cand[better]
        layers.append(improved)
        if not better.any():
            break
        dist = new
    if not np.isfinite(dist[t]):
        return None
    path: list[int] = []
    node, layer = t, len(layers) - 1
    while node != s:
        arc = layers[layer][node] if layer >= 0 else -1
        if arc >= 0:
            path.append(int(arc))
            node = int(graph.arc_src[arc])
        layer -= 1
        if layer < -1:  # pragma: no cover - dist[t] finite guarantees a chain back to s
            return None
    path.reverse()
    return np.array(path, dtype=np.intp)


def _pareto_search(graph: CompiledGraph, usable: np.ndarray, s: int, t: int, limits: Constraints) -> np.ndarray | None:
    """Exact least-IGP path under a latency (and hop) limit: label setting over Pareto-optimal labels."""
    max_lat = math.inf if limits.max_latency_ms is None else limits.max_latency_ms + LATENCY_SLACK_MS
    max_hops = limits.max_hops if limits.max_hops is not None else graph.node_count
    igp, lat = graph.arc_igp, graph.arc_latency_ms
    labels: list[tuple[float, float, int, int, int, int]] = []  # (igp, latency, hops, node, arc, parent)
    front: dict[int, list[tuple[float, float, int]]] = {s: [(0.0, 0.0, 0)]}
    heap = [(0.0, 0.0, 0, s, -1, -1)]
    while heap:
        label = heapq.heappop(heap)
        cost, latency, hops, node, _arc, _parent = label
        labels.append(label)
        me = len(labels) - 1
        if node == t:
            path = []
            while labels[me][4] >= 0:
                path.append(labels[me][4])
                me = labels[me][5]
            return np.array(path[::-1], dtype=np.intp)
        if hops >= max_hops:
            continue
        for arc in graph.out_arcs[node]:
            if not usable[arc]:
                continue
            nxt = (cost + igp[arc], latency + lat[arc], hops + 1)
            if nxt[1] > max_lat:
                continue
            head = int(graph.arc_dst[arc])
            kept = front.setdefault(head, [])
            if any(c <= nxt[0] and la <= nxt[1] and h <= nxt[2] for c, la, h in kept):
                continue
            kept[:] = [k for k in kept if not (nxt[0] <= k[0] and nxt[1] <= k[1] and nxt[2] <= k[2])]
            kept.append(nxt)
            heapq.heappush(heap, (nxt[0], nxt[1], nxt[2], head, arc, me))
    return None


# -- explaining a refusal -----------------------------------------------------------------------------
def _explain(graph: CompiledGraph, ledger: CapacityLedger | None, s: int, t: int, asked: Asked,
             window: tuple[float, float], metric: str, limits: Constraints, look_ahead: bool) -> InfeasibleError:
    src, dst = graph.nodes[s], graph.nodes[t]
    topology = np.ones(graph.arc_count, dtype=bool) if limits.allowed is None else limits.allowed.copy()
    bare = constrained_search(graph, topology, s, t, metric, limits)
    if bare is None:
        unconstrained = Constraints(allowed=limits.allowed, max_latency_ms=None, max_hops=None)
        if constrained_search(graph, topology, s, t, metric, unconstrained) is None:
            reason = "unreachable"
            what = "no path joins them" + (" once the excluded elements are taken out" if limits.allowed is not None
                                           else "")
        elif limits.max_hops is not None and constrained_search(
                graph, topology, s, t, metric, Constraints(limits.allowed, None, limits.max_hops)) is None:
            reason, what = "hops", f"no path has at most {limits.max_hops} hops"
        else:
            reason, what = "latency", f"no path is within {limits.max_latency_ms} ms"
        return InfeasibleError(f"no path from {src} to {dst}: {what}",
                               details={"reason": reason, "bottleneck": [], "earliest_fit": None})
    free = free_per_arc(graph, ledger, max(asked.bps, asked.reverse_bps), window)
    room = has_room(graph, ledger, asked, window)
    plain = limits.max_hops is None and limits.max_latency_ms is None
    blocked = min_cut_arcs(graph, room, topology, s, t) if plain else [int(a) for a in bare if not room[a]]
    bottleneck = []
    for arc in blocked:  # name the direction that lacks room (both when both do)
        if free[arc] < asked.bps:
            bottleneck.append(_entry(graph, arc, int(free[arc]), asked.bps))
        if asked.reverse_bps and free[arc ^ 1] < asked.reverse_bps:
            bottleneck.append(_entry(graph, arc ^ 1, int(free[arc ^ 1]), asked.reverse_bps))
    earliest = None
    if ledger is not None and look_ahead:
        earliest = _earliest_fit(graph, ledger, s, t, asked, window, metric, limits, topology)
    names = ", ".join(sorted({b["link"] for b in bottleneck}))
    return InfeasibleError(f"no path from {src} to {dst} has {describe_bandwidth(asked.bps)} free "
                           f"(bottleneck: {names})",
                           details={"reason": "capacity", "bottleneck": bottleneck, "earliest_fit": to_iso(earliest)
                                    if earliest is not None else None})


def min_cut_arcs(graph: CompiledGraph, room: np.ndarray, topology: np.ndarray, s: int, t: int) -> list[int]:
    """The fewest arcs lacking room whose upgrade would open a path from `s` to `t` (a minimum cut).

    Max-flow (scipy, Dinic) where an arc lacking room carries 1 and an arc with room more than all of
    those together: the saturated arcs leaving the residual-reachable set are exactly the short ones.
    Falls back to `cut_arcs` if the flow finds nothing to cut.
    """
    arcs = np.flatnonzero(topology)
    blocked = ~room[arcs]
    n = graph.node_count
    big = int(blocked.sum()) + 1
    capacity = coo_matrix((np.where(blocked, 1, big).astype(np.int32), (graph.arc_src[arcs], graph.arc_dst[arcs])),
                          shape=(n, n)).tocsr()  # parallel arcs add up, as flows do
    capacity.sum_duplicates()
    flow = maximum_flow(capacity, s, t, method="dinic").flow
    residual = (capacity - flow).tocsr()
    residual.data = (residual.data > 0).astype(np.int32)
    residual.eliminate_zeros()
    reached = np.zeros(n, dtype=bool)
    reached[breadth_first_order(residual, s, directed=True, return_predecessors=False)] = True
    crossing = topology & ~room & reached[graph.arc_src] & ~reached[graph.arc_dst]
    found = [int(a) for a in np.flatnonzero(crossing)]
    return found or cut_arcs(graph, room, topology, s)


def cut_arcs(graph: CompiledGraph, room: np.ndarray, topology: np.ndarray, s: int) -> list[int]:
    """Arcs leaving the set reachable from `s` with capacity: every feasible path must cross one of them."""
    usable = room & topology
    dist = dijkstra(graph.reduce_arcs(usable, "latency").matrix, directed=True, indices=s, unweighted=True)
    reached = np.isfinite(dist)
    crossing = topology & reached[graph.arc_src] & ~reached[graph.arc_dst]
    return [int(a) for a in np.flatnonzero(crossing)]


def _entry(graph: CompiledGraph, arc: int, free_bps: int, asked_bps: int) -> dict[str, Any]:
    link, a, b = graph.arc_name(arc)
    return {"link": link, "a": a, "b": b, "free_bps": free_bps, "asked_bps": asked_bps}


def _earliest_fit(graph: CompiledGraph, ledger: CapacityLedger, s: int, t: int, asked: Asked,
                  window: tuple[float, float], metric: str, limits: Constraints,
                  topology: np.ndarray) -> float | None:
    """Earliest breakpoint after the asked start where a window of the same length fits, if any.

    Feasibility can only appear when the window's start passes a point where some arc's load
    drops, so the candidates are the load breakpoints of arcs that could ever carry `bps`.
    """
    start, end = window
    if start == ALWAYS and end != NEVER:
        return None  # "since always until T" has no later start with the same meaning
    duration = NEVER if end == NEVER else end - start
    big_enough = np.flatnonzero(topology & (graph.arc_capacity_bps >= min(asked.bps, asked.reverse_bps or asked.bps)))
    for candidate in ledger.breakpoints_after(big_enough.tolist(), start)[:EARLIEST_FIT_CANDIDATES]:
        later = (candidate, candidate + duration)
        if _search(graph, ledger, s, t, asked, later, metric, limits) is not None:
            return candidate
    return None
