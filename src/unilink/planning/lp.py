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

PoPs whose links all lead to one neighbour (stubs) are taken out first, repeatedly: their loads
are forced (`prune_stubs`), which shrinks the LP without changing its optimum.

Only the MLU is unique: the loads of links below the maximum are one optimal solution among many.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from unilink.errors import InfeasibleError
from unilink.planning.loads import LinkLoads, distances_to
from unilink.planning.problem import CapacityProblem


def optimal_loads(problem: CapacityProblem) -> LinkLoads:
    """Route `problem`'s traffic to minimise the maximum utilisation; raise when some pair has no path."""
    arc_count = problem.arc_count
    background = np.zeros(arc_count) if problem.background_arc_bps is None else problem.background_arc_bps
    capacity = problem.arc_capacity_bps
    if problem.demand_bps.any():
        _refuse_unroutable(problem)
    pruned = prune_stubs(problem.node_count, problem.arc_src, problem.arc_dst, capacity, problem.demand_bps)
    arc_load = pruned.forced_arc_bps + background
    kept = pruned.kept_arcs
    mlu = float(((arc_load / capacity)[~np.isin(np.arange(arc_count), kept)]).max(initial=0.0))
    if pruned.demand_bps.any():
        renumber = np.full(problem.node_count, -1)
        renumber[pruned.kept_nodes] = np.arange(pruned.kept_nodes.size)
        lp_mlu, lp_load = _solve(renumber[problem.arc_src[kept]], renumber[problem.arc_dst[kept]], capacity[kept],
                                 pruned.demand_bps, background[kept])
        arc_load[kept] = lp_load
        mlu = max(mlu, lp_mlu)
    else:
        mlu = max(mlu, float((background[kept] / capacity[kept]).max(initial=0.0)))
    return LinkLoads(routing="optimal", arc_load_bps=arc_load, arc_capacity_bps=capacity, solver_mlu=mlu)


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


def _solve(arc_src: np.ndarray, arc_dst: np.ndarray, arc_capacity: np.ndarray, demand: np.ndarray,
           background: np.ndarray) -> tuple[float, np.ndarray]:
    """The LP itself, on plain arrays: (minimum MLU, load per arc in bit/s)."""
    n, arc_count = demand.shape[0], arc_src.size
    sources = np.flatnonzero(demand.sum(axis=1) > 0)
    scale = float(arc_capacity.max())
    capacity = arc_capacity / scale
    supply = -demand[sources] / scale                     # [s, v]
    supply[np.arange(sources.size), sources] = demand[sources].sum(axis=1) / scale

    # Node-arc incidence: +1 at the tail, −1 at the head.
    incidence = sp.csr_matrix(
        (np.concatenate((np.ones(arc_count), -np.ones(arc_count))),
         (np.concatenate((arc_src, arc_dst)), np.tile(np.arange(arc_count), 2))),
        shape=(n, arc_count))
    commodities = sources.size
    conservation = sp.kron(sp.identity(commodities, format="csr"), incidence, format="csr")
    a_eq = sp.hstack([conservation, sp.csr_matrix((commodities * n, 1))], format="csr")
    b_eq = supply.ravel()

    capacity_rows = sp.hstack([sp.kron(np.ones((1, commodities)), sp.identity(arc_count), format="csr"),
                               sp.csr_matrix(-capacity.reshape(-1, 1))], format="csr")
    b_ub = -background / scale  # Σ_s x[s,a] + background[a] ≤ capacity[a]·U

    cost = np.zeros(commodities * arc_count + 1)
    cost[-1] = 1.0
    result = linprog(cost, A_ub=capacity_rows, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if result.status != 0:  # pragma: no cover - connectivity is checked first; this is a solver failure
        raise InfeasibleError(f"the LP solver stopped: {result.message}", details={"solver_status": result.status})
    flows = result.x[:-1].reshape(commodities, arc_count)
    return float(result.x[-1]), flows.sum(axis=0) * scale + background


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
