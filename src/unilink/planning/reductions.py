"""Exact reductions of the min-MLU problem: what is forced or separable is taken out before the LP.

- `biconnected_blocks` / `block_demand`: blocks meet only at cut vertices, so traffic between
  blocks crosses fixed cut vertices whatever the routing; one independent LP per block.
- `prune_stubs`: a PoP whose links all lead to one neighbour has forced loads; it leaves the LP.
- `degree_two_chains`: PoPs with exactly two neighbours, in chains; `lp._solve` hands their traffic
  to the chain's two ends so that they need no commodity of their own.

Pure, on plain arrays (node and arc indices). Each reduction is checked by the tests against an
independent formulation or networkx.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components


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


@dataclass(frozen=True, slots=True)
class Chain:
    """PoPs c1..ck in a row, each with exactly two neighbours, between two other PoPs x and y.

    `toward_x[i]` is the arc from c(i+1) to its neighbour on the x side, `toward_y[i]` to the one on
    the y side. x == y for a ring hanging off one PoP (or a ring alone, anchored at one of its PoPs).
    """

    nodes: tuple[int, ...]
    x: int
    y: int
    toward_x: tuple[int, ...]
    toward_y: tuple[int, ...]


def degree_two_chains(n: int, arc_src: np.ndarray, arc_dst: np.ndarray) -> list[Chain]:
    """Every maximal chain of PoPs that have exactly two outgoing arcs, to two different neighbours."""
    out_arc: list[dict[int, int]] = [{} for _ in range(n)]  # node → {neighbour: arc}
    out_count = np.bincount(arc_src, minlength=n)
    for arc in range(arc_src.size):
        out_arc[int(arc_src[arc])][int(arc_dst[arc])] = arc
    two_way = [out_count[v] == 2 and len(out_arc[v]) == 2 for v in range(n)]
    seen: set[int] = set()
    chains: list[Chain] = []
    for v in range(n):
        if not two_way[v] or v in seen:
            continue
        first, second = sorted(out_arc[v])
        left, x = _walk(v, first, out_arc, two_way)
        if x == v:  # a ring of two-way PoPs alone: anchor it at v
            nodes = left[::-1]
            x = y = v
        else:
            right, y = _walk(v, second, out_arc, two_way)
            nodes = left[::-1] + [v] + right
        seen.update(nodes)
        sides = [x, *nodes, y]
        chains.append(Chain(nodes=tuple(nodes), x=x, y=y,
                            toward_x=tuple(out_arc[c][sides[i]] for i, c in enumerate(nodes)),
                            toward_y=tuple(out_arc[c][sides[i + 2]] for i, c in enumerate(nodes))))
    return chains


def _walk(start: int, towards: int, out_arc: list[dict[int, int]], two_way: list[bool]) -> tuple[list[int], int]:
    """Two-way PoPs met going from `start` through `towards`, and the first other PoP (or `start` again)."""
    passed: list[int] = []
    previous, current = start, towards
    while two_way[current] and current != start:
        passed.append(current)
        previous, current = current, next(w for w in out_arc[current] if w != previous)
    return passed, current
