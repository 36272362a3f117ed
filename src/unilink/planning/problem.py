"""A capacity-planning problem as arrays: the backbone as directed arcs plus a traffic matrix.

Every backbone `Link` is full duplex: it becomes two arcs, a→b and b→a, each with the link's
whole capacity and IGP metric. Nodes are PoPs, indexed in the order of `network.pops`; arcs are
indexed 2·i (a→b) and 2·i+1 (b→a) for link i, so that results map back to links without a lookup.

Pure: no I/O. Bandwidths are bit/s (float arrays, because loads are fractional under ECMP).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from unilink.errors import ValidationError
from unilink.inventory.model import Demand, Link, Network


@dataclass(frozen=True, slots=True)
class CapacityProblem:
    """The network and the traffic it must carry, compiled for the solvers."""

    network: Network
    node_names: tuple[str, ...]
    arc_src: np.ndarray          # int, node index of the arc's tail
    arc_dst: np.ndarray          # int, node index of the arc's head
    arc_capacity_bps: np.ndarray  # float
    arc_metric: np.ndarray       # int, IGP metric (≥ 1)
    demand_bps: np.ndarray       # float n×n, [s, t] = traffic from node s to node t; diagonal 0
    # Load already fixed on each arc whatever the routing: the committed enterprise services of the
    # capacity ledger, which travel their own booked paths (None: nothing).
    background_arc_bps: np.ndarray | None = None

    @property
    def node_count(self) -> int:
        return len(self.node_names)

    @property
    def arc_count(self) -> int:
        return int(self.arc_src.shape[0])

    @property
    def links(self) -> list[Link]:
        return self.network.links

    @property
    def total_demand_bps(self) -> float:
        return float(self.demand_bps.sum())

    def node_index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.node_names)}

    def with_capacities(self, link_capacity_bps: dict[int, float]) -> CapacityProblem:
        """The same problem with some links' capacities replaced (link index → bit/s); used by upgrades."""
        caps = self.arc_capacity_bps.copy()
        for link_index, capacity in link_capacity_bps.items():
            caps[2 * link_index] = caps[2 * link_index + 1] = float(capacity)
        return replace(self, arc_capacity_bps=caps)

    def with_demand(self, demand_bps: np.ndarray) -> CapacityProblem:
        return replace(self, demand_bps=demand_bps)

    def with_background(self, background_arc_bps: np.ndarray | None) -> CapacityProblem:
        if background_arc_bps is not None and background_arc_bps.shape != (self.arc_count,):
            raise ValidationError("background load has the wrong shape", field="background_arc_bps",
                                  value=str(background_arc_bps.shape), accepted=f"one value per arc ({self.arc_count})")
        return replace(self, background_arc_bps=background_arc_bps)


def demand_matrix(node_names: tuple[str, ...], demands: Iterable[Demand]) -> np.ndarray:
    """Sum demands into an n×n matrix; a demand naming an unknown PoP is refused (not dropped)."""
    index = {name: i for i, name in enumerate(node_names)}
    demands = list(demands)
    try:  # one pass without per-demand checks; the loop below finds and names any bad demand
        src = np.fromiter((index[d.src] for d in demands), dtype=np.intp, count=len(demands))
        dst = np.fromiter((index[d.dst] for d in demands), dtype=np.intp, count=len(demands))
        bps = np.fromiter((d.bps for d in demands), dtype=float, count=len(demands))
        well_formed = bool(np.isfinite(bps).all() and (bps >= 0).all()) and all(
            isinstance(d.bps, int | float) and not isinstance(d.bps, bool) for d in demands)
    except (KeyError, TypeError, ValueError):
        well_formed = False
    if not well_formed:
        _check_demands(index, demands)  # raises naming the first bad demand
    matrix = np.zeros((len(node_names), len(node_names)))
    inside = src == dst  # traffic that stays inside a PoP never touches the backbone
    np.add.at(matrix, (src[~inside], dst[~inside]), bps[~inside])
    return matrix


def _check_demands(index: dict[str, int], demands: list[Demand]) -> None:
    """Raise naming the first demand with an unknown PoP or a rate that is not bit/s ≥ 0."""
    for k, demand in enumerate(demands):
        for end in ("src", "dst"):
            name = getattr(demand, end)
            if name not in index:
                raise ValidationError("unknown PoP", field=f"demands[{k}].{end}", value=name,
                                      accepted="the name of a PoP of the network")
        if not (isinstance(demand.bps, int | float) and not isinstance(demand.bps, bool) and demand.bps >= 0
                and np.isfinite(demand.bps)):
            raise ValidationError("demand must be a non-negative number of bit/s", field=f"demands[{k}].bps",
                                  value=demand.bps, accepted="an integer bit/s ≥ 0")
    raise ValidationError("demands are not a list of Demand(src, dst, bps)", field="demands",
                          accepted="Demand(src, dst, bps) values")


def build_problem(network: Network, demands: Iterable[Demand] | np.ndarray) -> CapacityProblem:
    """Compile `network` and its traffic (Demand list or an n×n matrix in `network.pops` order)."""
    node_names = tuple(p.name for p in network.pops)
    index = {name: i for i, name in enumerate(node_names)}
    links = network.links
    for lk in links:
        for end, pop in (("a", lk.a), ("b", lk.b)):
            if pop not in index:
                raise ValidationError("unknown PoP", field=f"link[{lk.name}].{end}", value=pop,
                                      accepted="the name of a PoP of the network")
    a = np.fromiter((index[lk.a] for lk in links), dtype=np.int64, count=len(links))
    b = np.fromiter((index[lk.b] for lk in links), dtype=np.int64, count=len(links))
    capacity = np.fromiter((lk.capacity_bps for lk in links), dtype=float, count=len(links))
    metric = np.fromiter((lk.igp_metric for lk in links), dtype=np.int64, count=len(links))
    arc_src = np.empty(2 * len(links), dtype=np.int64)
    arc_dst = np.empty(2 * len(links), dtype=np.int64)
    arc_src[0::2], arc_src[1::2] = a, b
    arc_dst[0::2], arc_dst[1::2] = b, a
    if isinstance(demands, np.ndarray):
        if demands.shape != (len(node_names), len(node_names)):
            raise ValidationError("traffic matrix has the wrong shape", field="demands", value=str(demands.shape),
                                  accepted=f"{len(node_names)}×{len(node_names)} (one row per PoP)")
        matrix = np.array(demands, dtype=float)
        np.fill_diagonal(matrix, 0.0)
    else:
        matrix = demand_matrix(node_names, demands)
    return CapacityProblem(network=network, node_names=node_names, arc_src=arc_src, arc_dst=arc_dst,
                           arc_capacity_bps=np.repeat(capacity, 2), arc_metric=np.repeat(metric, 2),
                           demand_bps=matrix)
