"""Admission: the bandwidth each service needs on which links, over which windows (pure).

`bookings_for` turns an effective intent into `Booking`s — a service key, the bit/s per directed
arc, a window — computed with the NETWORK engineer's path machinery against the live ledger:
- internet: the site's PoP ↔ the nearest Internet gateway PoP (a transit or peering interconnect),
  down towards the site, up back; a site at a gateway PoP uses no backbone;
- ipvpn: the NETWORK engineer's capacity-aware hose tree joining the members' PoPs, under the
  asymmetric hose (Duffield et al., SIGCOMM 1999): each tree arc u → v books the smaller of what u's
  side can send (Σ up) and v's side can receive (Σ down); `hose_arcs` is the same booking on the plain
  shortest-path tree from the most central member, without capacity, kept for analysis and tests;
- eline: a constrained shortest path between the two ends (a disjoint pair when protected);
- boosts and schedules: the extra bit/s over the base rate along the same route, in their window.

The whole change is admitted at once inside `ledger.atomic()` by the engine: all or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from unilink.engine.change_plan import PlannedBooking
from unilink.engine.keys import BookingKey, TemporaryKey
from unilink.errors import InfeasibleError
from unilink.inventory.model import InterconnectKind, Network
from unilink.network.cspf import find_path
from unilink.network.graph import CompiledGraph
from unilink.network.hose import SiteRate, hose_tree
from unilink.network.ledger import CapacityLedger
from unilink.services.intent import Boost, ELineService, Intent, InternetService, IpVpnService, Schedule, site_usages

SCHEDULE_HORIZON = timedelta(days=7)  # recurring windows are held this far ahead; the scheduler rolls on
METRIC = "latency"


@dataclass(frozen=True, slots=True)
class Booking:
    key: BookingKey  # a service's base booking, or a boost's / schedule's window (engine.keys)
    arc_bps: tuple[tuple[int, int], ...]
    start: datetime
    end: datetime | None

    def planned(self, graph: CompiledGraph) -> PlannedBooking:
        """The booking as the plan keeps it: by link name and direction (arc ids change with the topology)."""
        arcs = []
        for arc, bps in self.arc_bps:
            link, _, _ = graph.arc_name(arc)
            arcs.append((link, "ab" if arc % 2 == 0 else "ba", bps))
        return PlannedBooking(self.key, tuple(arcs), self.start, self.end)

    def to_dict(self, graph: CompiledGraph) -> dict[str, Any]:
        return self.planned(graph).to_document()


@dataclass(frozen=True, slots=True)
class Route:
    """How a service crosses the backbone: arc → share of the rate (1 for a path; hose trees vary)."""

    arcs_down: tuple[int, ...]  # towards the site / from a to b
    arcs_up: tuple[int, ...]


def internet_gateways(network: Network) -> list[str]:
    kinds = (InterconnectKind.TRANSIT, InterconnectKind.PEERING)
    return sorted({ic.pop for ic in network.interconnects if ic.kind in kinds})


def nearest_gateway(graph: CompiledGraph, gateways: list[str], pop: str) -> str | None:
    if not gateways or pop in gateways:
        return None
    dist, _ = graph.shortest_tree(graph.node_index[pop], METRIC)
    best = min(gateways, key=lambda g: (dist[graph.node_index[g]], g))
    return best if math.isfinite(dist[graph.node_index[best]]) else None


def _path_arcs(graph: CompiledGraph, ledger: CapacityLedger, src: str, dst: str, bps: int, reverse_bps: int,
               start: datetime, end: datetime | None, what: str) -> dict[int, int]:
    try:
        path = find_path(graph, ledger, src, dst, max(bps, reverse_bps), start=start, end=end, metric=METRIC)
    except InfeasibleError as exc:
        raise InfeasibleError(f"{what}: no path from {src} to {dst} has the bandwidth free ({exc.message})",
                              details={"service": what, **exc.details}) from None
    return path.arc_bps(bps, reverse_bps)


def hose_arcs(graph: CompiledGraph, pops: Mapping[str, tuple[int, int]]) -> dict[int, int]:
    """Arc → bit/s of a hose-model VPN on the shortest-path tree from its most central member PoP.

    `pops` maps each member PoP to its (down, up) bit/s. On the tree arc u→v (v below u), traffic
    flows from the members above to those below: at most min(Σ up above, Σ down below).
    """
    names = sorted(pops)
    if len(names) < 2:
        return {}
    ids = [graph.node_index[n] for n in names]
    best_root, best_cost = ids[0], math.inf
    for node in ids:
        dist, _ = graph.shortest_tree(node, METRIC)
        cost = float(sum(dist[i] for i in ids))
        if cost < best_cost:
            best_root, best_cost = node, cost
    if not math.isfinite(best_cost):
        raise InfeasibleError("the VPN's sites are not connected by the backbone",
                              details={"sites": names})
    _, pred = graph.shortest_tree(best_root, METRIC)
    below: dict[int, list[int]] = {}  # tree node → member node ids at or below it
    parent: dict[int, int] = {}
    for n in ids:
        v = n
        while v != best_root:
            u = int(pred[v])
            parent[v] = u
            below.setdefault(v, [])
            if n not in below[v]:
                below[v].append(n)
            v = u
    down_of = {graph.node_index[n]: pops[n][0] for n in names}
    up_of = {graph.node_index[n]: pops[n][1] for n in names}
    total_down, total_up = sum(down_of.values()), sum(up_of.values())
    booked: dict[int, int] = {}
    for v, u in sorted(parent.items()):
        members = below[v]
        sub_down = sum(down_of[m] for m in members)
        sub_up = sum(up_of[m] for m in members)
        arc_down = graph.full[METRIC].arc_between(u, v)  # u → v: towards the members below
        arc_up = arc_down ^ 1
        booked[arc_down] = booked.get(arc_down, 0) + min(total_up - sub_up, sub_down)
        booked[arc_up] = booked.get(arc_up, 0) + min(sub_up, total_down - sub_down)
    return {arc: bps for arc, bps in booked.items() if bps > 0}


def vpn_arcs(graph: CompiledGraph, ledger: CapacityLedger, pops: Mapping[str, tuple[int, int]], start: datetime,
             end: datetime | None, name: str) -> dict[int, int]:
    """Arc → bit/s of a VPN: the NETWORK engineer's capacity-aware asymmetric hose tree.

    `pops` maps each member PoP to its (down, up) bit/s. Each direction of each tree arc books what
    the hose can need there and no more, so an asymmetric access (FTTH 1G/500M, ADSL 20M/1M) counts
    its up rate where it sends and its down rate where it receives; with down = up everywhere it is
    the symmetric hose tree, bit for bit.
    """
    if len(pops) < 2:
        return {}
    try:
        tree = hose_tree(graph, ledger, {pop: SiteRate(down=down, up=up) for pop, (down, up) in sorted(pops.items())},
                         start=start, end=end, metric=METRIC)
    except InfeasibleError as exc:
        raise InfeasibleError(f"ipvpn {name}: {exc.message}", details={"service": f"ipvpn {name}", **exc.details}
                              ) from None
    return {int(arc): int(bps) for arc, bps in tree.arc_bps.items() if bps > 0}


def service_arcs(graph: CompiledGraph, ledger: CapacityLedger, network_gateways: list[str], intent: Intent,
                 site_pop: Mapping[str, str], rates: Mapping[tuple[str, str], tuple[int, int]], name: str,
                 start: datetime, end: datetime | None) -> dict[int, int]:
    """Arc → bit/s of one service at `rates`, routed with the ledger's free capacity over the window."""
    svc = intent.service(name)
    if isinstance(svc, InternetService):
        pop = site_pop[svc.site]
        gateway = nearest_gateway(graph, network_gateways, pop)
        if gateway is None:
            return {}
        down, up = rates[(svc.name, svc.site)]
        return _path_arcs(graph, ledger, gateway, pop, down, up, start, end, f"internet {svc.name}")
    if isinstance(svc, IpVpnService):
        pops: dict[str, tuple[int, int]] = {}
        for m in svc.members:
            d, u = rates[(svc.name, m.site)]
            old = pops.get(site_pop[m.site], (0, 0))
            pops[site_pop[m.site]] = (old[0] + d, old[1] + u)
        return vpn_arcs(graph, ledger, pops, start, end, svc.name)
    assert isinstance(svc, ELineService)
    a, b = site_pop[svc.a], site_pop[svc.b]
    if a == b:
        return {}
    rate = rates[(svc.name, svc.a)][0]
    arcs = _path_arcs(graph, ledger, a, b, rate, rate, start, end, f"eline {svc.name}")
    if svc.protected:
        arcs = _protection(graph, ledger, a, b, rate, arcs, start, end, svc.name)
    return arcs


def _protection(graph: CompiledGraph, ledger: CapacityLedger, a: str, b: str, rate: int, primary: dict[int, int],
                start: datetime, end: datetime | None, name: str) -> dict[int, int]:
    """Add a link- and SRLG-disjoint secondary path (booked too: protection that is there when needed)."""
    links = {int(graph.arc_link[arc]) for arc in primary}
    srlgs = set().union(*(graph.link_srlgs[i] for i in links)) if links else set()
    try:
        backup = find_path(graph, ledger, a, b, rate, start=start, end=end, metric=METRIC,
                           exclude_links=sorted(links), exclude_srlgs=sorted(srlgs))
    except InfeasibleError as exc:
        raise InfeasibleError(f"eline {name}: no disjoint protection path from {a} to {b} ({exc.message})",
                              details={"service": f"eline {name}", **exc.details}) from None
    merged = dict(primary)
    for arc, bps in backup.arc_bps(rate, rate).items():
        merged[arc] = merged.get(arc, 0) + bps
    return merged


def temporary_windows(item: Boost | Schedule, now: datetime) -> list[tuple[datetime, datetime | None]]:
    """The windows in which a boost or schedule is in force, from `now` to the horizon."""
    if isinstance(item, Boost):
        return [(now, item.until)] if item.until > now else []
    if item.at is not None:
        if item.until is not None and item.until <= now:
            return []
        return [(max(item.at, now), item.until)]
    from unilink.services.intent import weekdays  # local: only recurring schedules need it

    days = weekdays(item.every or "daily")
    start_t, end_t = item.window_times()
    windows = []
    day = (now - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    while day < now + SCHEDULE_HORIZON:
        begin = day.replace(hour=start_t.hour, minute=start_t.minute)
        finish = (day + timedelta(days=1)) if end_t is None else day.replace(hour=end_t.hour, minute=end_t.minute)
        if finish <= begin:  # a window over midnight: 22:00-02:00
            finish += timedelta(days=1)
        if day.weekday() in days and finish > now and begin < now + SCHEDULE_HORIZON:
            windows.append((max(begin, now), finish))
        day += timedelta(days=1)
    return windows


def temporary_key(item: Boost | Schedule, site: str, start: datetime | None = None) -> TemporaryKey:
    """The booking key of a boost's or schedule's window starting at `start` at `site`."""
    if isinstance(item, Boost):
        return TemporaryKey("boost", item.service, site, start)
    return TemporaryKey("sched", item.name, site, start)


def rates_at(intent: Intent, when: datetime) -> dict[tuple[str, str], tuple[int, int]]:
    """(service, site) → (down, up) in force at `when`: the base, or an active boost's/schedule's rate."""
    rates = dict(site_usages(intent))
    items: list[Boost | Schedule] = [*intent.boosts, *intent.schedules]
    for item in items:
        if not any(start <= when and (end is None or when < end) for start, end in temporary_windows(item, when)):
            continue
        for site in item_sites(intent, item):
            down, up = rates[(item.service, site)]
            # A symmetric service (E-Line, symmetric access) moves both ways; otherwise only down moves.
            new_up = min(item.rate, intent.site(site).access.port) if down == up else up
            rates[(item.service, site)] = (item.rate, new_up)
    return rates


def item_sites(intent: Intent, item: Boost | Schedule) -> list[str]:
    """The sites whose rate a boost or schedule raises."""
    svc = intent.service(item.service)
    if isinstance(svc, IpVpnService):
        return [item.site] if item.site else []
    if isinstance(svc, InternetService):
        return [svc.site]
    return [svc.a, svc.b]


def arcs_as_tuple(arc_bps: Mapping[int, int]) -> tuple[tuple[int, int], ...]:
    return tuple(sorted((int(a), int(b)) for a, b in arc_bps.items() if b > 0))
