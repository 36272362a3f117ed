"""The lab's pure planning: which PoPs, which names, which addresses, which day-0 config.

Fast (no root, no FRR): these run everywhere.
"""

from __future__ import annotations

import ipaddress

import pytest

from unilink.errors import ValidationError
from unilink.inventory.model import Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.lab.topology import (
    IFNAME_MAX,
    build_topology,
    choose_pops,
    frr_day0_config,
    link_commands,
    netns_commands,
    parse_pops_option,
    tbf_args,
    vpn_bridge_names,
)

CITIES = {"Paris": (48.86, 2.35), "Frankfurt": (50.11, 8.68), "Amsterdam": (52.37, 4.90),
          "London": (51.51, -0.13), "Milan": (45.46, 9.19), "Madrid": (40.42, -3.70), "Reykjavik": (64.1, -21.9)}


def small_network() -> Network:
    pops = [Pop(name, name, "", lat, lon) for name, (lat, lon) in CITIES.items()]
    by = {p.name: p for p in pops}
    routers = [Router(f"{p.name.lower()}-p1", p.name, RouterRole.CORE, Vendor.JUNOS, f"10.255.9.{i + 1}")
               for i, p in enumerate(pops)]
    routers += [Router(f"{p.name.lower()}-pe1", p.name, RouterRole.EDGE, Vendor.FRR, f"10.255.8.{i + 1}")
                for i, p in enumerate(pops) if p.name != "Madrid"]
    pairs = [("Paris", "Frankfurt"), ("Frankfurt", "Amsterdam"), ("Amsterdam", "London"), ("London", "Paris"),
             ("Frankfurt", "Milan"), ("Paris", "Madrid"), ("Paris", "Frankfurt")]  # a parallel link
    links = [make_link(f"l{i}", by[a], by[b], 10**10, igp_metric=100 + i) for i, (a, b) in enumerate(pairs)]
    return Network("t", pops, routers, links)


TENANTS = [
    {"name": "coop", "kind": "cooperative", "sites": [{"name": "village", "pop": "Paris", "access": {}}]},
    {"name": "acme", "kind": "enterprise", "display_name": "ACME", "sites": [
        {"name": "acme-paris-hq", "pop": "Paris", "access": {"down_bps": 100_000_000, "up_bps": 50_000_000}},
        {"name": "acme-lyon", "pop": "Lyon", "access": {"down_bps": "20M", "up_bps": "20M"}},
        {"name": "acme-frankfurt", "pop": "Frankfurt", "access": {"down_bps": "1G", "up_bps": "1G"}},
    ]},
]


def test_default_pops_start_from_the_preferred_hubs_and_stay_connected() -> None:
    assert choose_pops(small_network()) == ["Paris", "Frankfurt", "Amsterdam", "London", "Milan"]
    assert choose_pops(small_network(), 3) == ["Paris", "Frankfurt", "Amsterdam"]


def test_named_pops_are_case_insensitive_and_must_be_connected() -> None:
    assert choose_pops(small_network(), ["paris", "MADRID"]) == ["Paris", "Madrid"]
    with pytest.raises(ValidationError) as err:
        choose_pops(small_network(), ["Paris", "Milan"])  # only joined through Frankfurt
    assert err.value.field == "pops" and "Milan" in str(err.value)
    with pytest.raises(ValidationError, match="unknown PoP"):
        choose_pops(small_network(), ["Paris", "Atlantis"])


def test_counts_out_of_range_or_beyond_the_connected_part_are_refused() -> None:
    with pytest.raises(ValidationError, match="out of range"):
        choose_pops(small_network(), 1)
    with pytest.raises(ValidationError, match="not enough connected"):
        choose_pops(small_network(), 7)  # Reykjavik has no link


def test_parse_pops_option() -> None:
    assert parse_pops_option("4") == 4
    assert parse_pops_option("Paris, Frankfurt") == ["Paris", "Frankfurt"]
    assert parse_pops_option(None) is None


def test_topology_uses_edge_routers_and_inventory_loopbacks_and_demo_sites() -> None:
    topo = build_topology(small_network(), TENANTS, ["Paris", "Frankfurt", "Madrid"])
    assert [r.inventory_name for r in topo.routers] == ["paris-pe1", "frankfurt-pe1", "madrid-p1"]
    assert topo.routers[0].loopback == "10.255.8.1"
    assert topo.tenant == "acme"
    names = [s.name for s in topo.sites]
    assert names == ["acme-paris-hq", "acme-frankfurt", "lab-madrid"]  # Lyon is not in the lab
    assert topo.sites[0].down_bps == 100_000_000 and topo.sites[0].up_bps == 50_000_000
    assert topo.sites[1].down_bps == 1_000_000_000
    assert topo.sites[2].synthetic and any("Madrid" in n for n in topo.notes)


def test_parallel_links_collapse_to_the_cheapest_and_addresses_do_not_overlap() -> None:
    topo = build_topology(small_network(), TENANTS, 5)
    pf = [lk for lk in topo.links if {lk.a, lk.b} == {"ul-paris", "ul-frankfurt"}]
    assert len(pf) == 1 and pf[0].ospf_cost == 100
    nets = [ipaddress.ip_interface(lk.a_addr).network for lk in topo.links]
    nets += [ipaddress.ip_interface(s.pe_inet_addr).network for s in topo.sites]
    assert len(nets) == len(set(nets))
    for lk in topo.links:
        assert ipaddress.ip_interface(lk.a_addr).network == ipaddress.ip_interface(lk.b_addr).network
        assert len(lk.a_ifname) <= IFNAME_MAX and len(lk.b_ifname) <= IFNAME_MAX


def test_namespaces_carry_the_prefix_and_are_unique() -> None:
    topo = build_topology(small_network(), TENANTS, 4, prefix="ult-")
    spaces = topo.namespaces()
    assert len(spaces) == len(set(spaces)) and all(ns.startswith("ult-") for ns in spaces)
    with pytest.raises(ValidationError, match="prefix"):
        build_topology(small_network(), TENANTS, 4, prefix="Bad Prefix")


def test_commands_create_every_veth_inside_its_namespaces() -> None:
    topo = build_topology(small_network(), TENANTS, 4)
    lines = link_commands(topo)
    assert sum(line.startswith("netns add ") for line in lines) == len(topo.namespaces())
    assert sum(" type veth " in line for line in lines) == len(topo.links) + 2 * len(topo.sites)
    steps = netns_commands(topo)
    site = topo.sites[0]
    assert ("tc", tbf_args(site.pe_inet_ifname, site.down_bps)) in steps[site.router]
    assert ("ip", ["route", "add", "default", "via", site.pe_inet_addr.split("/")[0], "dev", "inet0"]) in \
        steps[site.netns]


def test_day0_config_has_fast_ospf_and_evpn_full_mesh() -> None:
    topo = build_topology(small_network(), TENANTS, 4)
    paris = topo.router("Paris")
    text = frr_day0_config(topo, paris)
    assert " ip ospf network point-to-point" in text and " ip ospf hello-interval 1" in text
    assert "  advertise-all-vni" in text
    peers = [r.loopback for r in topo.routers if r is not paris]
    for loopback in peers:
        assert f" neighbor {loopback} peer-group PE" in text
    assert f" neighbor {paris.loopback} peer-group PE" not in text


def test_shaper_and_vni_validation() -> None:
    args = tbf_args("acc-1", 10_000_000)
    assert args[args.index("rate") + 1] == "10000000bit"
    with pytest.raises(ValidationError, match="rate_bps"):
        tbf_args("acc-1", 0)
    assert vpn_bridge_names(10100) == ("br10100", "vxlan10100")
    with pytest.raises(ValidationError, match="vni"):
        vpn_bridge_names(0)
