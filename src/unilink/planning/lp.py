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

Exact reductions before the solver (`planning/reductions.py`), each checked by the tests against
an independent formulation: one LP per biconnected block; stub PoPs taken out with their forced
loads; PoPs in chains (exactly two neighbours each) lose their commodities to the chain's ends.

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
from unilink.planning.reductions import Chain, biconnected_blocks, block_demand, degree_two_chains, prune_stubs


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


def _solve(arc_src: np.ndarray, arc_dst: np.ndarray, arc_capacity: np.ndarray, demand: np.ndarray,
           background: np.ndarray) -> tuple[float, np.ndarray]:
    """The LP itself, on plain arrays: (minimum MLU, load per arc in bit/s).

    PoPs in a chain (each with two neighbours, between x and y) have no commodity of their own:
    what c sends to t goes along the chain towards x (y[c,t] ∈ [0, D[c,t]]) and on from x in x's
    commodity as if x sent it — or stops on the way when t is in the chain — and the rest,
    D[c,t] − y[c,t], towards y likewise. Exact: a flow out of a chain is a flow from x or y once it
    left the chain. It trades n conservation rows per chain PoP for n bounded columns: the LP has
    fewer rows, which is what the simplex pays for.
    """
    n, arc_count = demand.shape[0], arc_src.size
    scale = float(arc_capacity.max())
    capacity = arc_capacity / scale
    demand = demand / scale
    chains = degree_two_chains(n, arc_src, arc_dst)
    needs_commodity = demand.sum(axis=1) > 0
    for chain in chains:
        needs_commodity[list(chain.nodes)] = False
    for chain in chains:
        needs_commodity[chain.x] = needs_commodity[chain.y] = True
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
    folding = _chain_columns(chains, demand, position, supply, arc_count)
    b_ub -= folding.toward_y @ folding.upper  # the y-side shares, D − y, as constants
    y_count = folding.upper.size

    x_count = commodities * arc_count
    y_eq = _sparse(folding.rows_eq, folding.cols_eq, folding.vals_eq, (commodities * n, y_count))
    y_ub = (folding.toward_x - folding.toward_y).tocsr()
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
    load += folding.toward_x @ y + folding.toward_y @ (folding.upper - y)
    return float(result.x[-1]), load * scale + background


@dataclass(slots=True)
class _ChainColumns:
    """The y columns of the chain PoPs: their commodity entries (COO pieces), their bounds (D), and
    the arcs each share crosses: `toward_x` (arcs × columns) for y, `toward_y` for D − y."""

    rows_eq: list[np.ndarray]
    cols_eq: list[np.ndarray]
    vals_eq: list[np.ndarray]
    upper: np.ndarray
    toward_x: sp.csr_matrix
    toward_y: sp.csr_matrix


def _chain_columns(chains: list[Chain], demand: np.ndarray, position: np.ndarray, supply: np.ndarray,
                   arc_count: int) -> _ChainColumns:
    """Columns y[c,t] of every chain PoP c; moves the constants of the y-side shares into `supply`
    (commodity y sends D[c,t] more from y to t), in place.

    Commodity x sends y more from x to t (−1 at x, +1 at t) and commodity y sends y less (+1 at y,
    −1 at t) — unless t lies on the chain on that side, where the share is delivered before leaving
    the chain. When t is x (or y) the two entries cancel: delivered as it leaves the chain.
    """
    n = demand.shape[0]
    rows_eq: list[np.ndarray] = []
    cols_eq: list[np.ndarray] = []
    vals_eq: list[np.ndarray] = []
    uppers: list[np.ndarray] = []
    x_arcs: list[int] = []
    x_cols: list[int] = []
    y_arcs: list[int] = []
    y_cols: list[int] = []
    column = 0
    for chain in chains:
        where = {c: i for i, c in enumerate(chain.nodes)}
        cx, cy = position[chain.x], position[chain.y]
        for i, c in enumerate(chain.nodes):
            targets = np.flatnonzero(demand[c] > 0)
            sent = demand[c, targets]
            for offset, t in enumerate(targets.tolist()):
                col = column + offset
                j = where.get(t)
                stop_x = j + 1 if j is not None and j < i else 0       # arcs toward x: indices i down to stop_x
                stop_y = j - 1 if j is not None and j > i else len(chain.nodes) - 1  # toward y: i up to stop_y
                x_arcs += [chain.toward_x[k] for k in range(stop_x, i + 1)]
                x_cols += [col] * (i + 1 - stop_x)
                y_arcs += [chain.toward_y[k] for k in range(i, stop_y + 1)]
                y_cols += [col] * (stop_y + 1 - i)
                if j is None or j > i:  # leaves the chain at x: x's commodity carries it on
                    rows_eq.append(np.array([cx * n + chain.x, cx * n + t]))
                    vals_eq.append(np.array([-1.0, 1.0]))
                    cols_eq.append(np.array([col, col]))
                if j is None or j < i:  # leaves the chain at y
                    rows_eq.append(np.array([cy * n + chain.y, cy * n + t]))
                    vals_eq.append(np.array([1.0, -1.0]))
                    cols_eq.append(np.array([col, col]))
                    supply[cy, chain.y] += sent[offset]
                    supply[cy, t] -= sent[offset]
            uppers.append(sent)
            column += targets.size
    shape = (arc_count, column)
    toward_x = sp.csr_matrix((np.ones(len(x_arcs)), (x_arcs, x_cols)), shape=shape)
    toward_y = sp.csr_matrix((np.ones(len(y_arcs)), (y_arcs, y_cols)), shape=shape)
    return _ChainColumns(rows_eq, cols_eq, vals_eq, np.concatenate(uppers) if uppers else np.zeros(0),
                         toward_x, toward_y)


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
