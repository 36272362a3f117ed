"""Exporters round-trip through the importers: YAML exactly, GraphML for PoPs and capacities."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unilink.inventory.exporters import to_graphml, to_yaml
from unilink.inventory.importers import import_file
from unilink.inventory.model import (
    Interconnect,
    InterconnectKind,
    Network,
    Pop,
    Router,
    RouterRole,
    Vendor,
    make_link,
)
from unilink.inventory.sample import load_sample_network


def reimport(text: str, suffix: str) -> Network:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"net{suffix}"
        path.write_text(text, encoding="utf-8")
        return import_file(path).network


def test_sample_round_trips_exactly_through_yaml() -> None:
    sample = load_sample_network()
    assert reimport(to_yaml(sample), ".yaml") == sample


def test_sample_round_trips_through_graphml() -> None:
    sample = load_sample_network()
    back = reimport(to_graphml(sample), ".graphml")
    assert [(p.name, p.city, p.country, p.lat, p.lon) for p in back.pops] == [
        (p.name, p.city, p.country, p.lat, p.lon) for p in sample.pops]
    assert [(lk.a, lk.b, lk.capacity_bps, lk.length_km) for lk in back.links] == [
        (lk.a, lk.b, lk.capacity_bps, lk.length_km) for lk in sample.links]
    assert back.name == sample.name


_names = st.from_regex(r"[A-Z][a-z]{0,8}( [A-Z][a-z]{0,6})?", fullmatch=True)


@st.composite
def networks(draw: st.DrawFn) -> Network:
    names = draw(st.lists(_names, min_size=2, max_size=6, unique=True))
    pops = [Pop(name=n, city=draw(st.sampled_from([n, "Ville d'Ici", "Zürich"])), country=draw(
        st.sampled_from(["FR", "DE", "NO", ""])), lat=draw(st.floats(-89, 89, allow_nan=False)),
        lon=draw(st.floats(-179, 179, allow_nan=False))) for n in names]
    routers = [Router(name=f"r{i}", pop=p.name, role=draw(st.sampled_from(list(RouterRole))),
                      vendor=draw(st.sampled_from(list(Vendor))), loopback=f"10.0.0.{i + 1}",
                      driver=draw(st.sampled_from(["sim", "lab", "netconf"]))) for i, p in enumerate(pops)]
    links = []
    for i in range(draw(st.integers(0, 8))):
        a, b = draw(st.lists(st.sampled_from(range(len(pops))), min_size=2, max_size=2, unique=True))
        links.append(make_link(f"l{i}", pops[a], pops[b], draw(st.integers(1, 10**13)),
                               length_km=draw(st.none() | st.floats(0, 20000, allow_nan=False)),
                               igp_metric=draw(st.none() | st.integers(1, 16_777_215)),
                               srlgs=tuple(draw(st.lists(st.sampled_from(["d1", "d2", "cable-x"]), unique=True))),
                               a_router=draw(st.sampled_from([None, routers[a].name])),
                               b_router=draw(st.sampled_from([None, routers[b].name]))))
    interconnects = [Interconnect(name=f"ic{i}", kind=draw(st.sampled_from(list(InterconnectKind))),
                                  pop=draw(st.sampled_from(names)), partner="Partner", capacity_bps=draw(
                                      st.integers(1, 10**12)), area=tuple(draw(st.lists(st.sampled_from(
                                          ["FR", "FR-78", "NO", "yes"]), unique=True))))
                     for i in range(draw(st.integers(0, 3)))]
    return Network(name=draw(_names), pops=pops, routers=routers, links=links, interconnects=interconnects)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_any_network_round_trips_exactly_through_yaml(network: Network) -> None:
    network.validate()
    assert reimport(to_yaml(network), ".yaml") == network


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_any_network_keeps_pops_and_capacities_through_graphml(network: Network) -> None:
    back = reimport(to_graphml(network), ".graphml")
    assert [(p.name, p.city, p.country, p.lat, p.lon) for p in back.pops] == [
        (p.name, p.city, p.country, p.lat, p.lon) for p in network.pops]
    expected: dict[frozenset[str], int] = {}
    for lk in network.links:  # the importer merges parallel links, adding their capacities
        expected[frozenset((lk.a, lk.b))] = expected.get(frozenset((lk.a, lk.b)), 0) + lk.capacity_bps
    assert {frozenset((lk.a, lk.b)): lk.capacity_bps for lk in back.links} == expected
