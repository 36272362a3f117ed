"""Where a cooperative connects, and what it costs: the candidates of a connection design (pure).

Given the network (PoPs, links, interconnects, compiled graph), the free capacity of each link from
now on, the area's point(s), the sizing model and the prices, `design` returns one `Candidate` per
attachment worth considering, each with its path, distances, backhaul rate, feasibility (and its
bottleneck when it is not) and costs, and the index of the best: the feasible one cheapest per
member per month. docs/coop-design.md explains every figure.

Three kinds of attachment:
- `backbone_pop`: one of the nearest PoPs of OUR backbone; new fibre from the area to the PoP
  (great circle × route factor), then our links to the Internet hand-off (transit/peering PoP);
- `public_backbone`: one of the nearest nodes of a public backbone (a `public_backbone`
  interconnect names its partner); a short new build to the node, then the public backbone's links
  and the hand-off links into our network, then ours to the Internet hand-off;
- `local_loop`: a local-loop partner whose interconnect's area covers the area: the partner's line
  from the village to the interconnect PoP (no new build by us), then our links to the hand-off.

Whose PoP is it? The inventory has no owner per PoP (see `public_backbone_pops` for the rule).
Rates are int bit/s, money int cents, distances float km.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from unilink.catalog.access import TECHNOLOGIES, Technology
from unilink.catalog.backhaul import DEFAULT_BACKHAUL_TARIFFS, BackhaulTariffs
from unilink.catalog.prices import DEFAULT_PRICE_BOOK, PriceBook
from unilink.catalog.services import ServiceKind
from unilink.coop.communes import commune
from unilink.coop.sizing import SizingModel, check_members
from unilink.errors import ValidationError
from unilink.inventory.model import Interconnect, InterconnectKind, Network, Pop, RouterRole
from unilink.network.graph import CompiledGraph, walk_predecessors
from unilink.units import great_circle_km

METRIC = "latency"  # the engine routes an Internet service on the lowest-latency path (engine.admission)
KINDS = ("backbone_pop", "public_backbone", "local_loop")
GATEWAY_KINDS = (InterconnectKind.TRANSIT, InterconnectKind.PEERING)
M = 10**6
COMMUNE_COUNTRY = "FR"  # the gazetteer (coop/data/communes.yaml) holds French communes only


@dataclass(frozen=True, slots=True)
class Area:
    """Where the members are: one point per commune (or per --lat/--lon), and the codes it lies in."""

    points: tuple[tuple[float, float], ...]  # (lat, lon), WGS 84
    codes: frozenset[str] = frozenset()  # what an interconnect's area is matched on: "FR", "FR-78"
    names: tuple[str, ...] = ()  # the communes, for the answer

    def __post_init__(self) -> None:
        if not self.points:
            raise ValidationError("an area needs at least one commune or point", field="area", value=None,
                                  accepted="--communes NAME[,NAME…] or --lat/--lon")
        for lat, lon in self.points:
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValidationError("not a point on Earth", field="area.points", value=f"{lat},{lon}",
                                      accepted="lat -90..90, lon -180..180 (WGS 84)")

    def distance_km(self, pop: Pop) -> float:
        """Great-circle km from the area's point nearest `pop` (the coop's own village network joins
        its communes; the backhaul starts where that network is closest to the attachment)."""
        return min(great_circle_km(lat, lon, pop.lat, pop.lon) for lat, lon in self.points)

    def to_dict(self) -> dict[str, Any]:
        return {"communes": list(self.names), "points": [list(p) for p in self.points], "codes": sorted(self.codes)}


@dataclass(frozen=True, slots=True)
class DesignInput:
    network: Network
    graph: CompiledGraph  # compiled from `network`
    free_bps: Mapping[str, int]  # link name → free bit/s from now on, the smaller of its two directions
    area: Area
    members: int
    model: SizingModel = SizingModel()
    plan_rates_bps: tuple[int, ...] = ()
    # interconnect name → bit/s already in use on it, for interconnects no link stands for (local loops);
    # a public backbone's use is read from its hand-off links
    interconnect_used_bps: Mapping[str, int] = field(default_factory=dict)
    prices: PriceBook = DEFAULT_PRICE_BOOK
    tariffs: BackhaulTariffs = DEFAULT_BACKHAUL_TARIFFS
    nearest: int = 3  # how many of the nearest PoPs, and of the nearest public-backbone nodes, to consider


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: str  # one of KINDS
    attach: str  # the PoP the coop's site attaches to
    router: str  # its edge router
    technology: Technology
    provider: str  # "on-net" or the partner
    interconnect: str | None  # the public-backbone or local-loop interconnect used, if any
    gateway: str  # the PoP where the Internet service is handed to transit/peering
    path: tuple[str, ...]  # PoPs from `attach` to `gateway` over existing links
    links: tuple[str, ...]  # the links of `path`, in order
    distance_km: float  # the sum of those links' lengths
    new_build_km: float  # new fibre from the area to `attach` (0 for a partner's line)
    line_km: float  # route length from the area to `attach`, whoever builds it
    backhaul_bps: int
    port_bps: int | None  # the access port (None: no port of the technology carries the backhaul)
    bottlenecks: tuple[dict[str, Any], ...]  # empty when feasible
    cost_lines: tuple[dict[str, Any], ...]
    monthly_cents: int
    one_off_cents: int
    per_member_monthly_cents: int

    @property
    def feasible(self) -> bool:
        return not self.bottlenecks

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "attach": self.attach, "path": list(self.path),
                "distance_km": self.distance_km, "new_build_km": self.new_build_km,
                "backhaul_bps": self.backhaul_bps, "feasible": self.feasible,
                "monthly_cents": self.monthly_cents, "one_off_cents": self.one_off_cents,
                "per_member_monthly_cents": self.per_member_monthly_cents,
                "bottleneck": self.bottlenecks[0] if self.bottlenecks else None,
                "bottlenecks": list(self.bottlenecks), "router": self.router,
                "technology": self.technology.value, "provider": self.provider, "port_bps": self.port_bps,
                "interconnect": self.interconnect, "gateway": self.gateway, "links": list(self.links),
                "line_km": self.line_km, "cost_lines": list(self.cost_lines)}


@dataclass(frozen=True, slots=True)
class Design:
    input: DesignInput
    demand_bps: int
    backhaul_bps: int
    candidates: tuple[Candidate, ...]
    best: int | None  # None: no candidate is feasible

    def to_dict(self) -> dict[str, Any]:
        inp = self.input
        model = {"busy_hour_bps_per_member": inp.model.busy_hour_bps_per_member, "peak_factor": inp.model.peak_factor,
                 "members": inp.members, "growth_per_year": inp.model.growth_per_year,
                 "horizon_years": inp.model.horizon_years, "demand_bps": self.demand_bps,
                 "fastest_plan_bps": max(inp.plan_rates_bps, default=0), "backhaul_bps": self.backhaul_bps}
        t = inp.tariffs
        assumptions = {"route_factor": t.route_factor, "new_build_cents_per_km": t.new_build_cents_per_km,
                       "new_build_upkeep_cents_per_km_month": t.new_build_upkeep_cents_per_km_month,
                       "min_drop_km": t.min_drop_km, "amortisation_months": t.amortisation_months,
                       "public_backbone_cents_per_mbps": t.public_backbone_cents_per_mbps,
                       "local_loop_install_cents": t.local_loop_install_cents}
        return {"model": model, "area": inp.area.to_dict(), "assumptions": assumptions,
                "candidates": [c.to_dict() for c in self.candidates], "best": self.best}


# -- the area and the use of interconnects -----------------------------------------------------------
def area_of(network: Network, communes: Iterable[str], points: Iterable[tuple[float, float]]) -> Area:
    """The area of the communes (gazetteer centres) and the points; its codes: country and département
    of each commune, and the country of the PoP nearest each point."""
    found = [commune(name.strip(), field="communes") for name in communes if name.strip()]
    coords = [(c.lat, c.lon) for c in found] + [(float(lat), float(lon)) for lat, lon in points]
    codes = {COMMUNE_COUNTRY for _ in found[:1]} | {f"{COMMUNE_COUNTRY}-{c.department}" for c in found}
    for lat, lon in points:
        nearest = min(network.pops, key=lambda p: great_circle_km(lat, lon, p.lat, p.lon), default=None)
        if nearest is not None and nearest.country:
            codes.add(nearest.country)
    return Area(points=tuple(coords), codes=frozenset(codes), names=tuple(c.name for c in found))


def local_loop_use(network: Network, documents: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Local-loop interconnect → the committed down rates of the deployed sites on its partner's lines.

    No link of the inventory stands for a local-loop interconnect, so its use is what is sold over it:
    an upper bound, as every site is counted at its full access rate."""
    partner_of = {ic.partner: ic.name for ic in network.interconnects if ic.kind is InterconnectKind.LOCAL_LOOP}
    used: dict[str, int] = dict.fromkeys(partner_of.values(), 0)
    for document in documents:
        for site in document.get("sites", []):
            name = partner_of.get(site.get("access", {}).get("provider"))
            if name is not None:
                used[name] += int(site["access"]["down"])
    return used


def tariffs_with(overrides: Mapping[str, Any]) -> BackhaulTariffs:
    """The default backhaul figures with `overrides` (names of `BackhaulTariffs` fields)."""
    return DEFAULT_BACKHAUL_TARIFFS.with_overrides(**overrides)


# -- whose PoP is it ---------------------------------------------------------------------------------
def public_backbone_pops(network: Network) -> dict[str, frozenset[str]]:
    """Partner → the PoPs of its public backbone, derived from the graph (the inventory has no owner per PoP).

    The rule: take away the PoPs where we meet the partner (its `public_backbone` interconnects); what
    is left falls apart into pieces. A piece belongs to the partner when it holds no Internet gateway
    (transit or peering PoP) and no PoP of any other interconnect — a public backbone reaches the
    Internet only through us —, when it is a network (two PoPs or more) and when every one of its PoPs
    lies in a country of the interconnect's area ("FR-78" → FR). The last two keep out the PoPs of ours
    that hang off the hand-off PoP alone (Interoute 2010's Istanbul hangs off Paris only). A spur of two
    or more PoPs of ours, in that country, hanging off the hand-off PoP alone would be taken for the
    partner's: an owner field on PoPs would make this a lookup, and needs a schema change
    (docs/coop-design.md).
    """
    country = {p.name: p.country for p in network.pops}
    out: dict[str, frozenset[str]] = {}
    for partner in sorted({ic.partner for ic in network.interconnects if ic.kind is InterconnectKind.PUBLIC_BACKBONE}):
        meets = {ic.pop for ic in network.interconnects if ic.partner == partner}
        elsewhere = {ic.pop for ic in network.interconnects if ic.partner != partner}
        countries = {code.split("-")[0] for ic in network.interconnects if ic.partner == partner for code in ic.area}
        pops: set[str] = set()
        for piece in _pieces_without(network, meets):
            if len(piece) < 2 or piece & elsewhere or (countries and any(country[p] not in countries for p in piece)):
                continue
            pops |= piece
        out[partner] = frozenset(pops)
    return out


def _pieces_without(network: Network, removed: set[str]) -> list[set[str]]:
    """The connected pieces of the PoP graph once `removed` PoPs are taken away (scipy's csgraph:
    networkx is only the tests' oracle, not a run-time dependency)."""
    names = [p.name for p in network.pops if p.name not in removed]
    index = {name: i for i, name in enumerate(names)}
    pairs = [(index[lk.a], index[lk.b]) for lk in network.links if lk.a in index and lk.b in index]
    rows, cols = [a for a, _ in pairs], [b for _, b in pairs]
    matrix = coo_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(names), len(names)))
    _, label = connected_components(matrix, directed=False)
    pieces: dict[int, set[str]] = {}
    for name, piece in zip(names, label, strict=True):
        pieces.setdefault(int(piece), set()).add(name)
    return list(pieces.values())


def hand_off_links(network: Network, ic: Interconnect, partner_pops: frozenset[str]) -> list[str]:
    """The links that join the interconnect's PoP to the partner's network: the interconnect itself."""
    return [lk.name for lk in network.links
            if {lk.a, lk.b} & {ic.pop} and ({lk.a, lk.b} - {ic.pop}) <= partner_pops]


# -- the design --------------------------------------------------------------------------------------
def design(inp: DesignInput) -> Design:
    check_members(inp.members)
    backhaul = inp.model.backhaul_bps(inp.members, inp.plan_rates_bps)
    candidates = [_evaluate(inp, spec, backhaul) for spec in _specs(inp)]
    return Design(input=inp, demand_bps=inp.model.demand_bps(inp.members), backhaul_bps=backhaul,
                  candidates=tuple(candidates), best=best_index(candidates))


def best_index(candidates: Sequence[Candidate]) -> int | None:
    """The feasible candidate cheapest per member per month (ties: cheaper monthly, shorter path, first listed)."""
    feasible = [(c.per_member_monthly_cents, c.monthly_cents, c.distance_km, i)
                for i, c in enumerate(candidates) if c.feasible]
    return min(feasible)[-1] if feasible else None


@dataclass(frozen=True, slots=True)
class _Spec:
    kind: str
    attach: str
    technology: Technology
    provider: str
    interconnect: Interconnect | None
    new_build: bool  # True: we (or the coop) build the fibre from the area; False: a partner's line


def _specs(inp: DesignInput) -> list[_Spec]:
    network, area = inp.network, inp.area
    public = public_backbone_pops(network)
    theirs = set().union(*public.values()) if public else set()
    edge = {r.pop for r in network.routers if r.role is RouterRole.EDGE}
    pops = [p for p in network.pops if p.name in edge]
    by_distance = sorted(pops, key=lambda p: (area.distance_km(p), p.name))
    ours = [p for p in by_distance if p.name not in theirs][:inp.nearest]
    specs = [_Spec("backbone_pop", p.name, Technology.FIBRE, "on-net", None, True) for p in ours]
    for ic in network.interconnects:
        if ic.kind is InterconnectKind.PUBLIC_BACKBONE:
            nodes = [p for p in by_distance if p.name in public.get(ic.partner, ())][:inp.nearest]
            specs += [_Spec("public_backbone", p.name, Technology.PUBLIC_BACKBONE, ic.partner, ic, True) for p in nodes]
    for ic in network.interconnects:
        if ic.kind is InterconnectKind.LOCAL_LOOP and set(ic.area) & area.codes and ic.pop in edge:
            specs.append(_Spec("local_loop", ic.pop, Technology.FIBRE, ic.partner, ic, False))
    return specs


def _evaluate(inp: DesignInput, spec: _Spec, backhaul: int) -> Candidate:
    network, graph, tariffs = inp.network, inp.graph, inp.tariffs
    pop = network.pop_index()[spec.attach]
    line_km = round(max(tariffs.min_drop_km, inp.area.distance_km(pop) * tariffs.route_factor), 1)
    new_build_km = line_km if spec.new_build else 0.0
    gateway = nearest_gateway(network, graph, spec.attach)
    bottlenecks: list[dict[str, Any]] = []
    port = access_port(spec.technology, backhaul)
    if port is None:
        bottlenecks.append(_ceiling(spec.technology, backhaul))
    if gateway is None:
        path, links = (spec.attach,), ()
        bottlenecks.append({"reason": "no Internet gateway (transit or peering PoP) is reachable",
                            "pop": spec.attach, "needed_bps": backhaul})
    else:
        path, links, short = route(graph, inp.free_bps, spec.attach, gateway, backhaul)
        bottlenecks += short
    if spec.interconnect is not None:
        bottlenecks += _interconnect_bottleneck(inp, spec.interconnect, backhaul)
    distance = round(float(sum(network.links[graph.link_index[name]].length_km for name in links)), 1)
    lines = cost_lines(inp, spec, backhaul, port, new_build_km)
    monthly = sum(line["monthly_cents"] for line in lines)
    one_off = sum(line["one_off_cents"] for line in lines)
    return Candidate(kind=spec.kind, attach=spec.attach, router=edge_router(network, spec.attach),
                     technology=spec.technology, provider=spec.provider,
                     interconnect=spec.interconnect.name if spec.interconnect else None,
                     gateway=gateway or spec.attach, path=path, links=links, distance_km=distance,
                     new_build_km=new_build_km, line_km=line_km, backhaul_bps=backhaul, port_bps=port,
                     bottlenecks=tuple(bottlenecks), cost_lines=tuple(lines), monthly_cents=monthly,
                     one_off_cents=one_off,
                     per_member_monthly_cents=per_member_monthly(monthly, one_off, inp.members,
                                                                 tariffs.amortisation_months))


def per_member_monthly(monthly_cents: int, one_off_cents: int, members: int, months: int) -> int:
    """(monthly + one-off spread evenly over `months`) / members, rounded up to the cent."""
    return -(-(monthly_cents * months + one_off_cents) // (months * members))


def edge_router(network: Network, pop: str) -> str:
    """The PoP's first edge router by name (the engine's default for a site without one)."""
    return min(r.name for r in network.routers if r.pop == pop and r.role is RouterRole.EDGE)


def access_port(technology: Technology, bps: int) -> int | None:
    """The smallest port of `technology` that carries `bps` both ways within its ceilings; None if none."""
    spec = TECHNOLOGIES[technology]
    if bps > min(spec.max_down_bps, spec.max_up_bps):
        return None
    return min((p for p in spec.port_speeds_bps if p >= bps), default=None)


def _ceiling(technology: Technology, bps: int) -> dict[str, Any]:
    spec = TECHNOLOGIES[technology]
    return {"reason": f"over the {technology.value} access ceiling", "access": technology.value,
            "capacity_bps": min(spec.max_down_bps, spec.max_up_bps, max(spec.port_speeds_bps)),
            "free_bps": min(spec.max_down_bps, spec.max_up_bps, max(spec.port_speeds_bps)), "needed_bps": bps}


def nearest_gateway(network: Network, graph: CompiledGraph, pop: str) -> str | None:
    """The Internet gateway PoP nearest `pop` by latency, as the engine picks it (ties by name)."""
    gateways = sorted({ic.pop for ic in network.interconnects if ic.kind in GATEWAY_KINDS})
    if pop in gateways:
        return pop
    if not gateways:
        return None
    dist, _ = graph.shortest_tree(graph.node_id(pop), METRIC)
    best = min(gateways, key=lambda g: (dist[graph.node_index[g]], g))
    return best if math.isfinite(dist[graph.node_index[best]]) else None


def route(graph: CompiledGraph, free_bps: Mapping[str, int], src: str, dst: str, bps: int
          ) -> tuple[tuple[str, ...], tuple[str, ...], list[dict[str, Any]]]:
    """(PoPs, links, bottlenecks): the lowest-latency path src → dst over links with `bps` free — the
    path the engine's CSPF books — or, when there is none, the unconstrained one with the links of it
    that lack the room (most constrained first)."""
    if src == dst:
        return (src,), (), []
    usable = np.array([free_bps.get(graph.arc_link_name[a], 0) >= bps for a in range(graph.arc_count)], dtype=bool)
    source, target = graph.node_id(src), graph.node_id(dst)
    tree = graph.filtered_tree(usable, METRIC, source)
    if math.isfinite(tree.dist[target]):
        nodes = walk_predecessors(tree.pred, source, target)
        arcs = [graph.usable_arc(u, v, usable, METRIC) for u, v in zip(nodes, nodes[1:], strict=False)]
        return _named(graph, nodes), tuple(graph.arc_link_name[a] for a in arcs), []
    plain = graph.shortest_path(source, target, METRIC)
    if plain is None:
        return (src,), (), [{"reason": f"{dst} is not reachable from {src}", "pop": src, "needed_bps": bps}]
    arcs = [int(a) for a in plain.arcs]
    links = tuple(graph.arc_link_name[a] for a in arcs)
    short = [_link_bottleneck(graph, name, free_bps.get(name, 0), bps) for name in links if free_bps.get(name, 0) < bps]
    if not short:  # each link has room, but no path has room on all of them in the lowest-latency way
        short = [{"reason": "no path has the bandwidth free", "needed_bps": bps}]
    short.sort(key=lambda b: b.get("free_bps", 0))
    return _named(graph, plain.nodes), links, short


def _named(graph: CompiledGraph, nodes: Sequence[int]) -> tuple[str, ...]:
    return tuple(graph.nodes[n] for n in nodes)


def _link_bottleneck(graph: CompiledGraph, name: str, free: int, bps: int) -> dict[str, Any]:
    link = graph.links[graph.link_index[name]]
    return {"reason": "not enough capacity free on the link", "link": name, "a": link.a, "b": link.b,
            "capacity_bps": link.capacity_bps, "free_bps": free, "needed_bps": bps}


def _interconnect_bottleneck(inp: DesignInput, ic: Interconnect, bps: int) -> list[dict[str, Any]]:
    if ic.kind is InterconnectKind.PUBLIC_BACKBONE:
        links = hand_off_links(inp.network, ic, public_backbone_pops(inp.network).get(ic.partner, frozenset()))
        used = sum(inp.graph.links[inp.graph.link_index[n]].capacity_bps - inp.free_bps.get(n, 0) for n in links)
    else:
        used = inp.interconnect_used_bps.get(ic.name, 0)
    free = max(0, ic.capacity_bps - used)
    if free >= bps:
        return []
    return [{"reason": "not enough capacity free on the interconnect", "interconnect": ic.name,
             "capacity_bps": ic.capacity_bps, "free_bps": free, "needed_bps": bps}]


# -- prices ------------------------------------------------------------------------------------------
def cost_lines(inp: DesignInput, spec: _Spec, backhaul: int, port: int | None, new_build_km: float
               ) -> list[dict[str, Any]]:
    """What the candidate costs, line by line (monthly and one-off cents)."""
    prices, t = inp.prices, inp.tariffs
    internet = prices.service_monthly(ServiceKind.INTERNET, backhaul)
    lines = [_line(f"Internet service at {backhaul // M} Mbit/s", internet)]
    port_bps = port or max(TECHNOLOGIES[spec.technology].port_speeds_bps)
    if spec.kind == "local_loop":
        lines.append(_line(f"{spec.provider} line to {spec.attach}", t.local_loop_line.monthly_cents(backhaul),
                           t.local_loop_install_cents))
        return lines
    lines.append(_line(f"{spec.technology.value} port {port_bps // M} Mbit/s at {spec.attach}",
                       prices.access_monthly(spec.technology, port_bps), prices.install_cents[spec.technology]))
    if spec.kind == "public_backbone":
        lines.append(_line(f"{spec.provider} capacity {backhaul // M} Mbit/s",
                           backhaul * t.public_backbone_cents_per_mbps // M))
    lines.append(_line(f"new fibre {new_build_km} km",
                       round(new_build_km * t.new_build_upkeep_cents_per_km_month),
                       round(new_build_km * t.new_build_cents_per_km)))
    return lines


def _line(item: str, monthly_cents: int, one_off_cents: int = 0) -> dict[str, Any]:
    return {"item": item, "monthly_cents": int(monthly_cents), "one_off_cents": int(one_off_cents)}
