"""Optimal routing: the minimum possible maximum link utilisation (MLU), as a linear programme.

Multi-commodity flow aggregated by source: one commodity per source node s carries everything s
sends, to all its destinations at once (any feasible per-demand routing adds up to a feasible
per-source flow and back, by flow decomposition, so the optimum is the same with far fewer
variables: |sources| × |arcs| instead of |demands| × |arcs|).

    minimise  U
    subject to  Σ_out x[s,a] − Σ_in x[s,a] = b[s,v]          for every source s and node v
                Σ_s x[s,a] + background[a] ≤ capacity[a] · U   for every arc a
                x ≥ 0, U ≥ 0
    where b[s,s] = total sent by s and b[s,v] = −demand(s→v), and background[a] is the load of the
    services already booked in the capacity ledger (fixed paths, not re-routed).

Solved with HiGHS through `scipy.optimize.linprog(method="highs")`; the sparse matrices are built
with Kronecker products, never element by element. Bandwidths are scaled to the largest capacity
so that the coefficients are of order 1 (numerically kinder to the solver).

Exact reductions before the solver, each checked by the tests against an independent formulation:
the network splits into biconnected blocks solved one by one (`biconnected_blocks`); PoPs whose
links all lead to one neighbour (stubs) are taken out, their loads being forced (`prune_stubs`);
sources with exactly two neighbours are folded into their neighbours' commodities (`_solve`).

Only the MLU is unique: the loads of links below the maximum are one optimal solution among many.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from unilink.errors import InfeasibleError
from unilink.planning.loads import LinkLoads, distances_to
from unilink.planning.problem import CapacityProblem


def optimal_loads(problem: CapacityProblem) -> LinkLoads:
    """Route `problem`'s traffic to minimise the maximum utilisation; raise when some pair has no path."""
    background = np.zeros(problem.arc_count) if problem.background_arc_bps is None else problem.background_arc_bps
    capacity = problem.arc_capacity_bps
    if problem.demand_bps.any():
        _refuse_unroutable(problem)
    arc_load = background.astype(float).copy()
    mlu = 0.0
    link_a, link_b = problem.arc_src[0::2], problem.arc_dst[0::2]
    for block in biconnected_blocks(problem.node_count, link_a, link_b):
        nodes, demand = block_demand(problem.node_count, link_a, link_b, block, problem.demand_bps)
        local = np.full(problem.node_count, -1)
        local[nodes] = np.arange(nodes.size)
        arcs = np.sort(np.concatenate((2 * block, 2 * block + 1)))
        block_mlu, block_load = _solve_block(local[problem.arc_src[arcs]], local[problem.arc_dst[arcs]],
                                             capacity[arcs], demand, background[arcs])
        arc_load[arcs] = block_load
        mlu = max(mlu, block_mlu)
    return LinkLoads(routing="optimal", arc_load_bps=arc_load, arc_capacity_bps=capacity, solver_mlu=mlu)


def biconnected_blocks(n: int, link_a: np.ndarray, link_b: np.ndarray) -> list[np.ndarray]:
    """The links of each biconnected block (Hopcroft–Tarjan, iterative; parallel links share a block).

    Blocks meet only at cut vertices, so any path between two blocks crosses the same cut vertices
    whatever the routing: the min-MLU problem splits into one independent LP per block.
    """
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for link, (a, b) in enumerate(zip(link_a.tolist(), link_b.tolist(), strict=True)):
        adjacency[a].append((b, link))
        adjacency[b].append((a, link))
    discovered = [-1] * n
    low = [0] * n
    clock = 0
    blocks: list[np.ndarray] = []
    link_stack: list[int] = []
    for root in range(n):
        if discovered[root] != -1 or not adjacency[root]:
            continue
        discovered[root] = low[root] = clock
        clock += 1
        stack = [(root, -1, iter(adjacency[root]))]
        while stack:
            v, parent_link, neighbours = stack[-1]
            descended = False
            for w, link in neighbours:
                if link == parent_link:
                    continue
                if discovered[w] == -1:
                    link_stack.append(link)
                    discovered[w] = low[w] = clock
                    clock += 1
                    stack.append((w, link, iter(adjacency[w])))
                    descended = True
                    break
                if discovered[w] < discovered[v]:  # a back link to an ancestor (or a parallel link)
                    link_stack.append(link)
                    low[v] = min(low[v], discovered[w])
            if descended:
                continue
            stack.pop()
            if stack:
                u = stack[-1][0]
                low[u] = min(low[u], low[v])
                if low[v] >= discovered[u]:  # u separates v's subtree: its links form a block
                    block = []
                    while True:
                        link = link_stack.pop()
                        block.append(link)
                        if link == parent_link:
                            break
                    blocks.append(np.array(sorted(block), dtype=np.int64))
    return blocks


def block_demand(n: int, link_a: np.ndarray, link_b: np.ndarray, block: np.ndarray,
                 demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The block's nodes and the traffic that crosses the block between them.

    Without the block's own links the graph falls apart into one piece per block node; a PoP s
    reaches the block through the node of its piece, rep(s). Traffic s→t crosses the block from
    rep(s) to rep(t) when they differ, and not at all when they are the same.
    """
    nodes = np.unique(np.concatenate((link_a[block], link_b[block])))
    others = np.ones(link_a.size, dtype=bool)
    others[block] = False
    graph = sp.csr_matrix((np.ones(int(others.sum())), (link_a[others], link_b[others])), shape=(n, n))
    _, piece = connected_components(graph, directed=False)
    representative = np.full(piece.max() + 1, -1)
    representative[piece[nodes]] = np.arange(nodes.size)
    rep = representative[piece]                       # block-local index of each PoP's entry node
    reached = rep >= 0                                # PoPs in other connected parts never cross this block
    entry = sp.csr_matrix((np.ones(int(reached.sum())), (np.flatnonzero(reached), rep[reached])),
                          shape=(n, nodes.size))
    crossing = np.asarray((entry.T @ sp.csr_matrix(demand) @ entry).todense())
    np.fill_diagonal(crossing, 0.0)
    return nodes, crossing


def _solve_block(arc_src: np.ndarray, arc_dst: np.ndarray, capacity: np.ndarray, demand: np.ndarray,
                 background: np.ndarray) -> tuple[float, np.ndarray]:
    """Min-MLU of one block (local node and arc numbering): stubs pruned, then the LP."""
    arc_count = arc_src.size
    pruned = prune_stubs(demand.shape[0], arc_src, arc_dst, capacity, demand)
    arc_load = pruned.forced_arc_bps + background
    kept = pruned.kept_arcs
    mlu = float(((arc_load / capacity)[~np.isin(np.arange(arc_count), kept)]).max(initial=0.0))
    if pruned.demand_bps.any():
        renumber = np.full(demand.shape[0], -1)
        renumber[pruned.kept_nodes] = np.arange(pruned.kept_nodes.size)
        lp_mlu, lp_load = _solve(renumber[arc_src[kept]], renumber[arc_dst[kept]], capacity[kept],
                                 pruned.demand_bps, background[kept])
        arc_load[kept] = lp_load
        mlu = max(mlu, lp_mlu)
    else:
        mlu = max(mlu, float((background[kept] / capacity[kept]).max(initial=0.0)))
    return mlu, arc_load


@dataclass(frozen=True, slots=True)
class Pruned:
    kept_nodes: np.ndarray      # original indices of the nodes left for the LP
    kept_arcs: np.ndarray       # original indices of the arcs left for the LP
    demand_bps: np.ndarray      # traffic matrix over kept_nodes (stubs' traffic handed to their neighbour)
    forced_arc_bps: np.ndarray  # per original arc: the load every routing puts on a pruned arc


def prune_stubs(n: int, arc_src: np.ndarray, arc_dst: np.ndarray, capacity: np.ndarray,
                demand: np.ndarray) -> Pruned:
    """Remove, repeatedly, the PoPs whose links all go to a single neighbour (exact for the min-MLU LP).

    Everything a stub v sends must cross to its neighbour u, and everything it receives comes from
    u: those loads are forced whatever the routing. Over parallel links an optimal routing splits
    in proportion to capacity (equal utilisation). Then v's traffic is u's traffic, and v leaves the
    LP — fewer commodities, rows and columns, the same optimum.
    """
    demand = demand.copy()
    forced = np.zeros(arc_src.size)
    alive_arc = np.ones(arc_src.size, dtype=bool)
    alive_node = np.ones(n, dtype=bool)
    changed = True
    while changed:
        changed = False
        for v in np.flatnonzero(alive_node):
            out = np.flatnonzero(alive_arc & (arc_src == v))
            heads = np.unique(arc_dst[out])
            if heads.size != 1:
                continue
            u = int(heads[0])
            into = np.flatnonzero(alive_arc & (arc_src == u) & (arc_dst == v))
            forced[out] += demand[v].sum() * capacity[out] / capacity[out].sum()
            forced[into] += demand[:, v].sum() * capacity[into] / capacity[into].sum()
            demand[u] += demand[v]          # v's traffic now starts at u ...
            demand[:, u] += demand[:, v]    # ... and ends at u; what went between u and v is delivered
            demand[u, u] = 0.0
            demand[v] = 0.0
            demand[:, v] = 0.0
            alive_arc[out] = alive_arc[into] = False
            alive_node[v] = False
            changed = True
    kept_nodes = np.flatnonzero(alive_node)
    return Pruned(kept_nodes=kept_nodes, kept_arcs=np.flatnonzero(alive_arc),
                  demand_bps=demand[np.ix_(kept_nodes, kept_nodes)], forced_arc_bps=forced)


def two_way_nodes(arc_src: np.ndarray, arc_dst: np.ndarray, demand: np.ndarray) -> dict[int, tuple[int, int]]:
    """Sources with exactly two outgoing arcs to two different neighbours, no two of them adjacent.

    → {v: (arc to u, arc to w)}. Their commodities are folded into their neighbours' (see `_solve`);
    keeping them non-adjacent guarantees the neighbours keep commodities of their own.
    """
    n = demand.shape[0]
    out_arcs: list[list[int]] = [[] for _ in range(n)]
    for arc in np.argsort(arc_src, kind="stable").tolist():
        out_arcs[int(arc_src[arc])].append(arc)
    chosen: dict[int, tuple[int, int]] = {}
    sends = demand.sum(axis=1) > 0
    for v in range(n):
        arcs = out_arcs[v]
        if len(arcs) != 2 or not sends[v] or arc_dst[arcs[0]] == arc_dst[arcs[1]]:
            continue
        neighbours = {int(arc_dst[a]) for a in arcs}
        if neighbours & chosen.keys():
            continue
        chosen[v] = (arcs[0], arcs[1])
    return chosen


def _solve(arc_src: np.ndarray, arc_dst: np.ndarray, arc_capacity: np.ndarray, demand: np.ndarray,
           background: np.ndarray) -> tuple[float, np.ndarray]:
    """The LP itself, on plain arrays: (minimum MLU, load per arc in bit/s).

    A source v with two neighbours u and w has no commodity of its own: what it sends to t leaves
    either by v→u (y[v,t] ∈ [0, D[v,t]], then carried by u's commodity as if u sent it) or by v→w
    (D[v,t] − y[v,t], carried by w's commodity). Exact — a flow from v is a flow from u or w once it
    crossed its first link — and it trades n conservation rows for n bounded columns: the LP has
    fewer rows, which is what the simplex pays for.
    """
    n, arc_count = demand.shape[0], arc_src.size
    scale = float(arc_capacity.max())
    capacity = arc_capacity / scale
    demand = demand / scale
    folded = two_way_nodes(arc_src, arc_dst, demand)
    needs_commodity = demand.sum(axis=1) > 0
    for v, (to_u, to_w) in folded.items():
        needs_commodity[v] = False
        needs_commodity[arc_dst[to_u]] = needs_commodity[arc_dst[to_w]] = True
    sources = np.flatnonzero(needs_commodity)
    position = np.full(n, -1)
    position[sources] = np.arange(sources.size)
    commodities = sources.size

    supply = -demand[sources].copy()                      # [commodity, node]
    supply[np.arange(commodities), sources] = demand[sources].sum(axis=1)
    # Node-arc incidence: +1 at the tail, −1 at the head.
    incidence = sp.csr_matrix(
        (np.concatenate((np.ones(arc_count), -np.ones(arc_count))),
         (np.concatenate((arc_src, arc_dst)), np.tile(np.arange(arc_count), 2))),
        shape=(n, arc_count))
    b_ub = -background / scale  # Σ_s x[s,a] + background[a] ≤ capacity[a]·U
    folding = _folded_columns(folded, arc_dst, demand, position, supply, b_ub)
    y_count = folding.upper.size

    x_count = commodities * arc_count
    y_eq = _sparse(folding.rows_eq, folding.cols_eq, folding.vals_eq, (commodities * n, y_count))
    y_ub = _sparse(folding.rows_ub, folding.cols_ub, folding.vals_ub, (arc_count, y_count))
    a_eq = sp.hstack([sp.kron(sp.identity(commodities, format="csr"), incidence, format="csr"), y_eq,
                      sp.csr_matrix((commodities * n, 1))], format="csr")
    a_ub = sp.hstack([sp.kron(np.ones((1, commodities)), sp.identity(arc_count), format="csr"), y_ub,
                      sp.csr_matrix(-capacity.reshape(-1, 1))], format="csr")
    upper = np.concatenate((np.full(x_count, np.inf), folding.upper, [np.inf]))
    bounds = np.column_stack((np.zeros(upper.size), upper))
    cost = np.zeros(upper.size)
    cost[-1] = 1.0
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=supply.ravel(), bounds=bounds, method="highs")
    if result.status != 0:  # pragma: no cover - connectivity is checked first; this is a solver failure
        raise InfeasibleError(f"the LP solver stopped: {result.message}", details={"solver_status": result.status})
    load = result.x[:x_count].reshape(commodities, arc_count).sum(axis=0)
    y = result.x[x_count:x_count + y_count]
    for to_u, to_w, first, sent in folding.owners:
        share = y[first:first + sent.size]
        load[to_u] += share.sum()
        load[to_w] += (sent - share).sum()
    return float(result.x[-1]), load * scale + background


@dataclass(slots=True)
class _Folding:
    """The y columns of the folded sources: COO pieces of their rows, their bounds, whom they belong to."""

    rows_eq: list[np.ndarray] = field(default_factory=list)
    cols_eq: list[np.ndarray] = field(default_factory=list)
    vals_eq: list[np.ndarray] = field(default_factory=list)
    rows_ub: list[np.ndarray] = field(default_factory=list)
    cols_ub: list[np.ndarray] = field(default_factory=list)
    vals_ub: list[np.ndarray] = field(default_factory=list)
    owners: list[tuple[int, int, int, np.ndarray]] = field(default_factory=list)  # (to_u, to_w, first y, D[v, t])
    upper: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _folded_columns(folded: dict[int, tuple[int, int]], arc_dst: np.ndarray, demand: np.ndarray,
                    position: np.ndarray, supply: np.ndarray, b_ub: np.ndarray) -> _Folding:
    """Columns y[v,t] of every folded source v; moves the constants of its w-side share into
    `supply` (commodity w sends D[v,t] from w to t) and `b_ub` (arc v→w carries Σ D[v,t]), in place.

    The y entries: commodity u sends y more from u to t (−1 at u, +1 at t), commodity w y less
    (+1 at w, −1 at t); arc v→u carries +y and arc v→w −y. When t is u or w the two entries of a
    commodity cancel: that traffic is delivered as it crosses its first link.
    """
    n = demand.shape[0]
    folding = _Folding()
    uppers = []
    column = 0
    for v, (to_u, to_w) in folded.items():
        u, w = int(arc_dst[to_u]), int(arc_dst[to_w])
        targets = np.flatnonzero(demand[v] > 0)
        sent = demand[v, targets]
        cu, cw = position[u], position[w]
        ys = column + np.arange(targets.size)
        ones = np.ones(targets.size)
        folding.rows_eq += [cu * n + np.full(targets.size, u), cu * n + targets,
                            cw * n + np.full(targets.size, w), cw * n + targets]
        folding.vals_eq += [-ones, ones, ones, -ones]
        folding.cols_eq += [ys, ys, ys, ys]
        supply[cw, w] += sent.sum()
        supply[cw, targets] -= sent
        folding.rows_ub += [np.full(targets.size, to_u), np.full(targets.size, to_w)]
        folding.vals_ub += [ones, -ones]
        folding.cols_ub += [ys, ys]
        b_ub[to_w] -= sent.sum()
        uppers.append(sent)
        folding.owners.append((to_u, to_w, column, sent))
        column += targets.size
    folding.upper = np.concatenate(uppers) if uppers else np.zeros(0)
    return folding


def _sparse(rows: list[np.ndarray], cols: list[np.ndarray], values: list[np.ndarray],
            shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix from pieces of COO triplets; duplicates add up and exact zeros are dropped."""
    if not rows:
        return sp.csr_matrix(shape)
    matrix = sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=shape)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    return matrix


def _refuse_unroutable(problem: CapacityProblem) -> None:
    """An LP with a disconnected demand is merely 'infeasible'; say which pair instead."""
    alive = np.ones(problem.arc_count, dtype=bool)
    dist = distances_to(problem, alive)  # [t, s]
    t, s = np.nonzero(~np.isfinite(dist) & (problem.demand_bps.T > 0))
    if s.size:
        src, dst = problem.node_names[s[0]], problem.node_names[t[0]]
        raise InfeasibleError(f"no path from {src} to {dst}: {s.size} demand(s) cannot be routed at all",
                              details={"unroutable": [[problem.node_names[a], problem.node_names[b]]
                                                      for a, b in zip(s[:20], t[:20], strict=True)],
                                       "unroutable_count": int(s.size)})
