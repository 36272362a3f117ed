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

Only the MLU is unique: the loads of links below the maximum are one optimal solution among many.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from unilink.errors import InfeasibleError
from unilink.planning.loads import LinkLoads, distances_to
from unilink.planning.problem import CapacityProblem


def optimal_loads(problem: CapacityProblem) -> LinkLoads:
    """Route `problem`'s traffic to minimise the maximum utilisation; raise when some pair has no path."""
    n, arc_count = problem.node_count, problem.arc_count
    demand = problem.demand_bps
    background = np.zeros(arc_count) if problem.background_arc_bps is None else problem.background_arc_bps
    sources = np.flatnonzero(demand.sum(axis=1) > 0)
    if sources.size == 0:
        mlu = float((background / problem.arc_capacity_bps).max()) if arc_count else 0.0
        return LinkLoads(routing="optimal", arc_load_bps=background.copy(),
                         arc_capacity_bps=problem.arc_capacity_bps, solver_mlu=mlu)
    _refuse_unroutable(problem)

    scale = float(problem.arc_capacity_bps.max())
    capacity = problem.arc_capacity_bps / scale
    supply = -demand[sources] / scale                     # [s, v]
    supply[np.arange(sources.size), sources] = demand[sources].sum(axis=1) / scale

    # Node-arc incidence: +1 at the tail, −1 at the head.
    incidence = sp.csr_matrix(
        (np.concatenate((np.ones(arc_count), -np.ones(arc_count))),
         (np.concatenate((problem.arc_src, problem.arc_dst)), np.tile(np.arange(arc_count), 2))),
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
    arc_load = flows.sum(axis=0) * scale + background
    return LinkLoads(routing="optimal", arc_load_bps=arc_load, arc_capacity_bps=problem.arc_capacity_bps,
                     solver_mlu=float(result.x[-1]))


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
