"""The operator's view of the backbone now: per link, capacity, what is reserved on it at this instant
and what the usage collector measured at its last poll (beside it: booked against used).

Reads the engine's capacity ledger (`unilink.engine.runtime`) and hands the loads to the planning
module's pictures (`unilink.planning.plots.map_svg` / `histogram_svg`), so the portal draws the
same map as `unilink capacity` does, with "reserved" loads instead of a traffic scenario. Arc 2i is
link i a→b and 2i+1 is b→a in both the ledger and the planning problem (same `Network.links` order).
Pictures are cached per (topology version, ledger sequence): they change only when the network or
a reservation does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from unilink.engine import runtime as rt
from unilink.inventory.model import Network
from unilink.planning.loads import LinkLoads
from unilink.planning.problem import CapacityProblem, build_problem
from unilink.store import usage_samples_repo

ROUTING_LABEL = "reserved now"
MEASURED_LABEL = "measured now"
# a link's last measured rate older than this is not shown (no collector running): 0, not a stale figure
MEASURED_FRESH = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class LinkUsage:
    name: str
    a: str
    b: str
    capacity_bps: int
    reserved_ab_bps: int
    reserved_ba_bps: int
    length_km: float
    measured_ab_bps: int = 0     # the last poll's rate (usage collector), beside what is booked
    measured_ba_bps: int = 0

    @property
    def utilisation(self) -> float:
        """The busier direction's share of the capacity (0.0 – 1.0, above 1 only if overbooked)."""
        return max(self.reserved_ab_bps, self.reserved_ba_bps) / self.capacity_bps if self.capacity_bps else 0.0

    @property
    def measured_utilisation(self) -> float:
        """The busier direction's measured share of the capacity."""
        return max(self.measured_ab_bps, self.measured_ba_bps) / self.capacity_bps if self.capacity_bps else 0.0


@dataclass(frozen=True, slots=True)
class BackboneNow:
    version: tuple[int, int]  # (topology version, ledger sequence)
    network: Network
    links: tuple[LinkUsage, ...]
    problem: CapacityProblem
    loads: LinkLoads
    measured: LinkLoads | None = None
    measured_at: datetime | None = None   # the newest measurement drawn

    def busiest(self, top: int = 10) -> list[LinkUsage]:
        return sorted(self.links, key=lambda lk: (-lk.utilisation, lk.name))[:top]


def backbone_now(store: Any, now: datetime | None = None) -> BackboneNow:
    """Capacity and reservations of every backbone link at `now` (default: this instant)."""
    start = now or store.clock.now()
    end = start + timedelta(seconds=1)
    with rt.LOCK, store.session() as session:
        runtime = rt.runtime_for(store, session)
        ledger, graph = runtime.ledger, runtime.graph
        reserved = np.array([int(graph.arc_capacity_bps[arc]) - ledger.free_bps(arc, start, end)
                             for arc in range(graph.arc_count)], dtype=float)
        network = runtime.network
        version = (runtime.topology_version, runtime.ledger_seq)
    measured, measured_at = measured_arcs(store, network, start)
    links = tuple(LinkUsage(lk.name, lk.a, lk.b, lk.capacity_bps, int(reserved[2 * i]), int(reserved[2 * i + 1]),
                            lk.length_km, int(measured[2 * i]), int(measured[2 * i + 1]))
                  for i, lk in enumerate(network.links))
    problem = build_problem(network, [])
    loads = LinkLoads(routing=ROUTING_LABEL, arc_load_bps=reserved, arc_capacity_bps=problem.arc_capacity_bps)
    used = LinkLoads(routing=MEASURED_LABEL, arc_load_bps=measured, arc_capacity_bps=problem.arc_capacity_bps)
    return BackboneNow(version, network, links, problem, loads, used, measured_at)


def measured_arcs(store: Any, network: Network, now: datetime) -> tuple[np.ndarray, datetime | None]:
    """Per arc (2i: link i a→b, 2i+1: b→a) the rate of the last poll, each direction from the end that
    sends it (`usage_series`: a link end's out direction); links unmeasured or stale: 0."""
    index = {lk.name: i for i, lk in enumerate(network.links)}
    arcs = np.zeros(2 * len(network.links), dtype=float)
    newest: datetime | None = None
    with store.session() as session:
        series = usage_samples_repo.series_totals(session)
    for s in series:
        i = index.get(s.info.link)
        if s.info.kind != "link" or i is None or s.last_at is None or now - s.last_at > MEASURED_FRESH:
            continue
        arcs[2 * i + (0 if s.info.out_direction == "ab" else 1)] += s.last_out_bps
        newest = s.last_at if newest is None else max(newest, s.last_at)
    return arcs, newest


_pictures: dict[tuple[int, str, tuple[int, int]], str] = {}
_pictures_lock = threading.Lock()


def picture_svg(store: Any, kind: str) -> str:
    """SVG text of the utilisation map (`kind` "map": booked; "measured": the last poll's rates) or
    histogram ("histogram") of the backbone now."""
    from unilink.planning.plots import histogram_svg, map_svg

    now = backbone_now(store)
    key = (id(store), kind, now.version if kind != "measured" else (*now.version, str(now.measured_at)))
    with _pictures_lock:
        cached = _pictures.get(key)
    if cached is not None:
        return cached
    if kind == "measured" and now.measured is not None:
        svg = map_svg(now.problem, now.measured)
    else:
        svg = map_svg(now.problem, now.loads) if kind == "map" else histogram_svg(now.loads)
    with _pictures_lock:
        if len(_pictures) > 16:
            _pictures.clear()
        _pictures[key] = svg
    return svg
