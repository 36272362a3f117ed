"""Connection design candidates (coop/design.py), pure: small handcrafted networks and the sample."""

from __future__ import annotations

import networkx as nx
import pytest

from unilink.catalog.backhaul import DEFAULT_BACKHAUL_TARIFFS
from unilink.catalog.prices import DEFAULT_PRICE_BOOK
from unilink.coop.design import Area, DesignInput, design, per_member_monthly, public_backbone_pops
from unilink.coop.sizing import SizingModel
from unilink.inventory.model import Interconnect, InterconnectKind, Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.inventory.sample import load_sample_network
from unilink.network.graph import CompiledGraph
from unilink.units import great_circle_km

M, G = 10**6, 10**9
VILLAGE = (45.0, 2.0)
FLAT = SizingModel(growth_per_year=0.0, horizon_years=0)  # 2.4 Mbit/s × 1.25: 120 members → 360 → 400 Mbit/s


def network(edge_at: tuple[float, float], node_at: tuple[float, float]) -> Network:
    """Ours: Core (transit) — Edge. The public backbone "Dept" (FR-01): Core — Hub (10G hand-off) — Node (1G spur)."""
    spots = {"Core": (45.5, 2.5), "Edge": edge_at, "Hub": (45.2, 2.3), "Node": node_at}
    pops = [Pop(name=n, city=n, country="FR", lat=lat, lon=lon) for n, (lat, lon) in spots.items()]
    routers = [Router(name=f"{n.lower()}-pe1", pop=n, role=RouterRole.EDGE, vendor=Vendor.FRR,
                      loopback=f"10.0.0.{i + 1}") for i, n in enumerate(spots)]
    by = {p.name: p for p in pops}
    links = [make_link("Core--Edge", by["Core"], by["Edge"], 100 * G),
             make_link("Core--Hub", by["Core"], by["Hub"], 10 * G),
             make_link("Hub--Node", by["Hub"], by["Node"], 1 * G)]
    interconnects = [Interconnect("Transit Core", InterconnectKind.TRANSIT, "Core", "Cogent", 100 * G),
                     Interconnect("Dept hand-off", InterconnectKind.PUBLIC_BACKBONE, "Core", "Dept", 10 * G,
                                  ("FR-01",))]
    return Network(name="small", pops=pops, routers=routers, links=links, interconnects=interconnects)


def run(net: Network, *, free: dict[str, int] | None = None, members: int = 120, model: SizingModel = FLAT,
        area: Area | None = None):
    free_bps = {lk.name: lk.capacity_bps for lk in net.links} | (free or {})
    return design(DesignInput(network=net, graph=CompiledGraph.compile(net), free_bps=free_bps,
                              area=area or Area(points=(VILLAGE,), codes=frozenset({"FR", "FR-01"})),
                              members=members, model=model))


def by_attach(result, attach: str):
    return next(c for c in result.candidates if c.attach == attach)


def test_the_public_backbone_node_wins_when_our_pop_is_far() -> None:
    result = run(network(edge_at=(45.3, 2.0), node_at=(45.001, 2.0)))  # Edge 33 km away, the node in the village
    assert {c.kind for c in result.candidates} == {"backbone_pop", "public_backbone"}
    node, edge = by_attach(result, "Node"), by_attach(result, "Edge")
    assert node.kind == "public_backbone" and edge.kind == "backbone_pop"
    assert result.candidates[result.best] is node
    assert node.path == ("Node", "Hub", "Core") and node.links == ("Hub--Node", "Core--Hub")
    assert node.new_build_km == DEFAULT_BACKHAUL_TARIFFS.min_drop_km  # 0.1 km × 1.3 < the minimum drop
    # new fibre to Edge: great circle × 1.3, priced per km
    expected_km = round(great_circle_km(*VILLAGE, 45.3, 2.0) * 1.3, 1)
    assert edge.new_build_km == expected_km
    assert edge.one_off_cents == round(expected_km * 2_000_000) + DEFAULT_PRICE_BOOK.install_cents[edge.technology]
    assert edge.per_member_monthly_cents > node.per_member_monthly_cents


def test_our_backbone_pop_wins_when_it_is_in_the_village() -> None:
    result = run(network(edge_at=(45.001, 2.0), node_at=(45.1, 2.0)))  # the node 11 km away
    best = result.candidates[result.best]
    assert (best.kind, best.attach) == ("backbone_pop", "Edge")
    assert best.path == ("Edge", "Core") and best.technology.value == "fibre" and best.provider == "on-net"
    assert best.port_bps == 1 * G
    node = by_attach(result, "Node")
    assert node.feasible and node.per_member_monthly_cents > best.per_member_monthly_cents


def test_the_prices_add_up_line_by_line() -> None:
    result = run(network(edge_at=(45.3, 2.0), node_at=(45.001, 2.0)))
    node = by_attach(result, "Node")
    assert node.backhaul_bps == 400 * M
    internet = DEFAULT_PRICE_BOOK.service_monthly("internet", 400 * M)  # type: ignore[arg-type]
    # Internet + the 1G public-backbone port + 400 Mbit/s leased at €1 + 0.5 km of new fibre's upkeep at €50/km
    assert node.monthly_cents == internet + 30_000 + 400 * 100 + 2_500
    assert node.one_off_cents == 100_000 + 1_000_000  # installation + 0.5 km × €20,000
    assert node.monthly_cents == sum(line["monthly_cents"] for line in node.cost_lines)
    # per member: (monthly + one-off over 120 months) / 120 members, rounded up to the cent
    assert node.per_member_monthly_cents == -(-(node.monthly_cents * 120 + node.one_off_cents) // (120 * 120))
    assert per_member_monthly(1000, 1200, 10, 120) == 101


def test_a_full_spur_makes_the_node_infeasible_naming_the_bottleneck() -> None:
    net = network(edge_at=(45.3, 2.0), node_at=(45.001, 2.0))
    result = run(net, free={"Hub--Node": 100 * M})  # 900M of the 1G spur reserved
    node = by_attach(result, "Node")
    assert not node.feasible
    assert node.bottlenecks[0] == {"reason": "not enough capacity free on the link", "link": "Hub--Node",
                                   "a": "Hub", "b": "Node", "capacity_bps": 1 * G, "free_bps": 100 * M,
                                   "needed_bps": 400 * M}
    assert node.to_dict()["bottleneck"]["link"] == "Hub--Node"
    # the cheapest per member is refused: the best is now the next node, Hub, on the 10G side of the spur
    assert result.candidates[result.best].attach == "Hub"


def test_no_feasible_candidate_leaves_no_best() -> None:
    net = network(edge_at=(45.3, 2.0), node_at=(45.001, 2.0))
    # 40,000 members need 120 Gbit/s: over the 100G leased-fibre ceiling (Edge, and Core, a gateway itself)
    # and the 10G public-backbone one; the links are full besides
    result = run(net, members=40_000, free={"Hub--Node": 0, "Core--Edge": 50 * M, "Core--Hub": 0})
    assert [c.attach for c in result.candidates] == ["Edge", "Core", "Node", "Hub"]
    assert result.best is None and not any(c.feasible for c in result.candidates)
    core = by_attach(result, "Core")
    assert core.path == ("Core",) and core.bottlenecks[0]["access"] == "fibre"
    assert result.to_dict()["best"] is None


def test_the_public_backbone_ceiling_and_the_interconnect_are_bottlenecks_too() -> None:
    net = network(edge_at=(45.3, 2.0), node_at=(45.001, 2.0))
    big = run(net, members=4000)  # 4000 × 3 Mbit/s = 12 Gbit/s → 20G (10G steps) > the 10G public-backbone ceiling
    hub = by_attach(big, "Hub")
    assert hub.backhaul_bps == 20 * G
    assert {b.get("access") for b in hub.bottlenecks} >= {"public-backbone"}
    assert hub.port_bps is None
    # the interconnect is 10G but its only hand-off link has 300M free: both refuse 400 Mbit/s
    crowded = run(net, free={"Core--Hub": 300 * M})
    hub = by_attach(crowded, "Hub")
    assert {"reason": "not enough capacity free on the interconnect", "interconnect": "Dept hand-off",
            "capacity_bps": 10 * G, "free_bps": 300 * M, "needed_bps": 400 * M} in hub.bottlenecks
    assert any(b.get("link") == "Core--Hub" for b in hub.bottlenecks)


def test_whose_pop_it_is_on_the_sample() -> None:
    sample = load_sample_network()
    public = public_backbone_pops(sample)
    connectis = {"Versailles", "Saint-Quentin-en-Yvelines", "Rambouillet", "Montfort-l'Amaury", "Houdan",
                 "Mantes-la-Jolie", "Les Mureaux", "Poissy", "Saint-Germain-en-Laye", "Plaisir", "Thoiry", "Maule",
                 "Villiers-le-Mahieu", "Septeuil"}
    assert public == {"Connectis 78": frozenset(connectis)}  # not Istanbul, which hangs off Paris alone


@pytest.mark.parametrize("members", [60, 120, 300])
def test_paths_run_over_links_whose_lengths_make_the_distance(members: int) -> None:
    sample = load_sample_network()
    oracle = nx.Graph()
    for lk in sample.links:
        oracle.add_edge(lk.a, lk.b, length=lk.length_km, name=lk.name)
    area = Area(points=((48.8606, 1.7733), (48.8672, 1.7969)), codes=frozenset({"FR", "FR-78"}))
    result = run(sample, members=members, area=area)
    kinds = [c.kind for c in result.candidates]
    assert kinds.count("backbone_pop") == 3 and kinds.count("public_backbone") == 3 and kinds.count("local_loop") == 1
    for c in result.candidates:
        assert c.feasible, c.bottlenecks
        hops = list(zip(c.path, c.path[1:], strict=False))
        assert [oracle.edges[u, v]["name"] for u, v in hops] == list(c.links)
        assert c.distance_km == pytest.approx(sum(oracle.edges[u, v]["length"] for u, v in hops), abs=0.05)
        # on an empty network the path is a shortest one (latency ∝ length in the sample)
        assert c.distance_km == pytest.approx(nx.shortest_path_length(oracle, c.path[0], c.path[-1],
                                                                      weight="length"), abs=0.05)
    best = result.candidates[result.best]
    assert best.kind == "public_backbone" and best.attach in {"Thoiry", "Villiers-le-Mahieu"}
