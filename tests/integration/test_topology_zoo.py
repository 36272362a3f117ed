"""Every Topology Zoo file beside the project imports, with every node accounted for.

Reads ../shared/data/topology-zoo through the `topology_zoo` fixture (skips when absent). The
shipped sample is checked here too, since it is built from one of these files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from unilink.inventory.importers import import_file
from unilink.inventory.sample import load_sample_network, sample_path

_NODE_REPORT = re.compile(r"^node (\S+) ")


def _node_ids(path: Path) -> list[str]:
    return [n.get("id") for n in etree.parse(str(path)).getroot().iter("{*}node")]


def test_every_file_imports_and_every_node_is_accounted_for(topology_zoo: Path) -> None:
    files = sorted(topology_zoo.glob("*.graphml"))
    assert len(files) >= 10
    for path in files:
        result = import_file(path)
        net = result.network
        ids = _node_ids(path)
        assert net.pops and net.links, path.name
        # Each node of the file is either a PoP, or named in a report (skipped stub / no coordinates /
        # contracted junction) — nothing disappears silently.
        reported = {m[1] for m in map(_NODE_REPORT.match, result.skipped + result.merged) if m}
        assert len(net.pops) + len(reported) == len(ids), path.name
        assert len(net.pops) >= 0.7 * len(ids), path.name  # sane: most nodes are PoPs
        assert {r.pop for r in net.routers} == {p.name for p in net.pops}
        for link in net.links:
            assert link.capacity_bps > 0 and link.length_km >= 0, (path.name, link.name)
            assert link.latency_ms == pytest.approx(link.length_km * 0.005)
        assert all(isinstance(s, str) and s for s in result.skipped + result.merged + result.notes)


def test_interoute_counts_match_the_readme(topology_zoo: Path) -> None:
    result = import_file(topology_zoo / "Interoute.graphml")
    assert len(_node_ids(topology_zoo / "Interoute.graphml")) == 110
    assert len(result.network.pops) == 96  # "96 nodes with coordinates"
    skipped, merged = result.skipped, result.merged
    assert sum("external stub" in s for s in skipped) == 5
    assert sum("no coordinates" in s for s in skipped) == 3  # Dubai, Edirne, Washington DC
    assert sum("self-loop" in s for s in skipped) == 1  # Luxembourg (Dubai's went with Dubai)
    assert sum("junction" in m for m in merged) == 6
    assert sum("parallel edges" in m for m in merged) == 9
    assert any("LinkSpeedRaw" in n for n in result.notes)  # capacities defaulted, and said so


def test_link_speeds_are_used_where_the_zoo_has_them(topology_zoo: Path) -> None:
    result = import_file(topology_zoo / "Geant2009.graphml")
    assert not result.notes  # every edge has LinkSpeedRaw: nothing defaulted
    assert {lk.capacity_bps for lk in result.network.links} > {10**10}  # several real rates


def test_shipped_sample_is_the_zoo_file_and_has_capacities_and_lengths(topology_zoo: Path) -> None:
    shipped = sample_path("interoute-2010.graphml").read_bytes()
    assert shipped == (topology_zoo / "Interoute.graphml").read_bytes()
    sample = load_sample_network()
    assert len(sample.pops) >= 96 + 14
    for link in sample.links:
        assert link.capacity_bps >= 10**9 and link.length_km > 0, link.name
