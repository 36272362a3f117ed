"""The shipped sample: Interoute 2010 + Connectis 78 + interconnects, and the demo tenants."""

from __future__ import annotations

from collections import Counter

import pytest

from unilink.catalog.access import check_access_rates, parse_technology
from unilink.inventory.capacity_rules import RING_BPS, SPUR_BPS, bridges
from unilink.inventory.model import InterconnectKind, RouterRole
from unilink.inventory.sample import load_demo_tenants, load_interoute, load_sample_network, sample_path

YVELINES = ["Versailles", "Saint-Quentin-en-Yvelines", "Rambouillet", "Mantes-la-Jolie", "Poissy", "Houdan",
            "Montfort-l'Amaury", "Thoiry", "Villiers-le-Mahieu", "Les Mureaux", "Saint-Germain-en-Laye",
            "Plaisir", "Maule", "Septeuil"]


@pytest.fixture(scope="module")
def sample():  # type: ignore[no-untyped-def]
    return load_sample_network()


def test_sample_is_shipped_in_the_package_not_read_from_shared() -> None:
    path = sample_path("interoute-2010.graphml")
    assert path.is_file() and "shared" not in path.parts
    assert (path.parent / "ATTRIBUTION.md").read_text(encoding="utf-8").count("CC BY 4.0") >= 1


def test_sample_validates_with_city_names_and_every_pop_has_an_edge_router(sample) -> None:  # type: ignore[no-untyped-def]
    sample.validate()
    names = {p.name for p in sample.pops}
    assert {"Paris", "Frankfurt", "London", "Amsterdam", *YVELINES} <= names
    edge_pops = {r.pop for r in sample.routers if r.role is RouterRole.EDGE}
    assert edge_pops == names
    assert len({r.loopback for r in sample.routers}) == len(sample.routers)


def test_every_link_has_capacity_length_and_latency(sample) -> None:  # type: ignore[no-untyped-def]
    for link in sample.links:
        assert link.capacity_bps > 0
        assert link.length_km > 0, link.name
        assert link.latency_ms == pytest.approx(link.length_km * 0.005)


def test_interoute_capacities_follow_the_ring_and_spur_rule() -> None:
    interoute = load_interoute()
    spurs = bridges(interoute)
    assert spurs, "Interoute 2010 has spurs (e.g. London--New York)"
    for link in interoute.links:
        assert link.capacity_bps == (SPUR_BPS if link.name in spurs else RING_BPS), link.name
    assert Counter(lk.capacity_bps for lk in interoute.links)[RING_BPS] > 100


def test_connectis78_rings_are_10g_spurs_1g_and_it_meets_paris_twice(sample) -> None:  # type: ignore[no-untyped-def]
    yvelines = set(YVELINES)
    inside = [lk for lk in sample.links if lk.a in yvelines and lk.b in yvelines]
    spur_names = bridges(sample)
    for link in inside:
        assert link.capacity_bps == (10**9 if link.name in spur_names else 10 * 10**9), link.name
    assert {lk.name for lk in inside if lk.capacity_bps == 10**9} == {"Thoiry--Villiers-le-Mahieu",
                                                                        "Mantes-la-Jolie--Septeuil"}
    to_paris = [lk for lk in sample.links if "Paris" in (lk.a, lk.b) and ({lk.a, lk.b} & yvelines)]
    assert len(to_paris) == 2 and len({lk.a for lk in to_paris} | {lk.b for lk in to_paris}) == 3


def test_interconnects_cover_partners_public_backbone_and_internet(sample) -> None:  # type: ignore[no-untyped-def]
    kinds = Counter(ic.kind for ic in sample.interconnects)
    assert kinds[InterconnectKind.LOCAL_LOOP] >= 2
    assert kinds[InterconnectKind.TRANSIT] >= 1 and kinds[InterconnectKind.PEERING] >= 1
    public = [ic for ic in sample.interconnects if ic.kind is InterconnectKind.PUBLIC_BACKBONE]
    assert [(ic.pop, ic.partner, ic.area) for ic in public] == [("Paris", "Connectis 78", ("FR-78",))]
    assert {ic.pop for ic in sample.interconnects if ic.kind in (InterconnectKind.TRANSIT,
                                                                  InterconnectKind.PEERING)} == {
        "Amsterdam", "Frankfurt", "London", "Paris"}


def test_sample_is_deterministic() -> None:
    assert load_sample_network() == load_sample_network()


def test_demo_tenants_refer_to_real_pops_routers_and_fit_the_catalog(sample) -> None:  # type: ignore[no-untyped-def]
    tenants = load_demo_tenants()
    assert Counter(t["kind"] for t in tenants) == {"enterprise": 1, "operator": 1, "cooperative": 1}
    pops = {p.name: p for p in sample.pops}
    router_pop = {r.name: r.pop for r in sample.routers}
    partners = {ic.partner for ic in sample.interconnects}
    for tenant in tenants:
        assert {"name", "kind", "display_name", "sites"} <= tenant.keys()
        for site in tenant["sites"]:
            assert site["pop"] in pops and router_pop[site["router"]] == site["pop"], site["name"]
            assert -90 <= site["lat"] <= 90 and -180 <= site["lon"] <= 180
            for key in ("access", "backup"):
                if key in site:
                    access = site[key]
                    assert access["provider"] == "on-net" or access["provider"] in partners, access
                    check_access_rates(parse_technology(access["technology"]), access["port_bps"],
                                       access["down_bps"], access["up_bps"], field=site["name"])
    enterprise = next(t for t in tenants if t["kind"] == "enterprise")
    assert len(enterprise["sites"]) >= 12
    assert len({s["country"] for s in enterprise["sites"]}) >= 6
    coop = next(t for t in tenants if t["kind"] == "cooperative")
    assert {s["pop"] for s in coop["sites"]} <= {"Villiers-le-Mahieu", "Thoiry"}
    assert {s["access"]["provider"] for s in coop["sites"]} == {"Connectis 78"}


def test_each_load_is_the_callers_to_change() -> None:
    first = load_sample_network()
    first.links.clear()
    first.pops.append(first.pops[0])
    second = load_sample_network()
    assert second.links and len({p.name for p in second.pops}) == len(second.pops)
