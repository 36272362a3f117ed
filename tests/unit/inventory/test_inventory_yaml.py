"""unilink's YAML inventory format: good files, defaults, and every malformed case."""

from __future__ import annotations

from pathlib import Path

import pytest

from unilink.errors import ParseError
from unilink.inventory.importers import import_file
from unilink.inventory.model import InterconnectKind, RouterRole, Vendor

GOOD = """name: Tiny
pops:
  - {name: Versailles, city: Versailles, country: FR, lat: 48.8049, lon: 2.1204}
  - {name: Poissy, country: FR, lat: 48.9297, lon: 2.0458}
routers:
  - {name: versailles-pe1, pop: Versailles, role: edge, vendor: frr, loopback: 10.78.0.1}
  - {name: poissy-p1, pop: Poissy, role: core, vendor: junos, loopback: 10.78.0.2, driver: lab}
links:
  - a: Versailles
    b: Poissy
    capacity: 10G
    srlgs: [duct-a13]
  - {name: second, a: Poissy, b: Versailles, capacity: 2.5Gbit/s, length_km: 20, igp_metric: 7}
  - {name: measured, a: Poissy, b: Versailles, capacity: 1000000000, latency_ms: 0.5}
interconnects:
  - {name: Transit, kind: transit, pop: Poissy, partner: Cogent, capacity: 100G, area: [FR]}
demands:
  - {src: Versailles, dst: Poissy, bandwidth: 500M}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "net.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_good_file(tmp_path: Path) -> None:
    result = import_file(write(tmp_path, GOOD))
    net = result.network
    assert net.name == "Tiny"
    assert net.pops[1].city == "Poissy"  # city defaults to the name
    assert net.routers[1].role is RouterRole.CORE and net.routers[1].vendor is Vendor.JUNOS
    assert net.routers[1].driver == "lab" and net.routers[0].driver == "sim"
    first, second, measured = net.links
    assert first.name == "Versailles--Poissy" and first.capacity_bps == 10**10 and first.srlgs == ("duct-a13",)
    assert 13 < first.length_km < 16 and first.latency_ms == pytest.approx(first.length_km * 0.005)
    assert (second.capacity_bps, second.length_km, second.latency_ms, second.igp_metric) == (2_500_000_000, 20.0,
                                                                                             0.1, 7)
    assert (measured.latency_ms, measured.igp_metric) == (0.5, 50)  # metric follows the given latency
    assert net.interconnects[0].kind is InterconnectKind.TRANSIT and net.interconnects[0].capacity_bps == 10**11
    assert [(d.src, d.dst, d.bps) for d in result.demands] == [("Versailles", "Poissy", 500_000_000)]


def test_routers_are_generated_when_the_section_is_absent(tmp_path: Path) -> None:
    text = ("pops:\n  - {name: A, lat: 1, lon: 1}\n  - {name: B, lat: 2, lon: 2}\n"
            "links:\n  - {a: A, b: B, capacity: 1G}\n")
    net = import_file(write(tmp_path, text)).network
    assert [(r.name, r.loopback) for r in net.routers] == [("a-pe1", "10.255.0.1"), ("b-pe1", "10.255.0.2")]
    assert net.name == "net"


def _error(tmp_path: Path, text: str) -> ParseError:
    path = write(tmp_path, text)
    with pytest.raises(ParseError) as info:
        import_file(path)
    assert info.value.path == str(path) and str(path) in str(info.value)
    return info.value


def test_truncated_file(tmp_path: Path) -> None:
    cut = GOOD[: GOOD.index("capacity: 2.5G")]  # cut inside a flow mapping
    error = _error(tmp_path, cut)
    assert "not valid YAML" in error.message and error.line is not None


def test_truncated_at_a_line_boundary_misses_a_field(tmp_path: Path) -> None:
    cut = GOOD[: GOOD.index("    capacity: 10G")]
    error = _error(tmp_path, cut)
    assert "links[0].capacity: is missing" in error.message and error.line == line_of(cut, "- a: Versailles")


def test_wrong_type(tmp_path: Path) -> None:
    text = GOOD.replace("lat: 48.9297", "lat: north")
    error = _error(tmp_path, text)
    assert "pops[1].lat" in error.message and "'north' is not a number" in error.message
    assert error.line == line_of(text, "lat: north")


def test_dangling_link(tmp_path: Path) -> None:
    text = GOOD.replace("b: Poissy\n", "b: Paris\n")
    error = _error(tmp_path, text)
    assert "dangling link" in error.message and "'Paris'" in error.message
    assert error.line == line_of(text, "b: Paris")


def test_negative_capacity(tmp_path: Path) -> None:
    text = GOOD.replace("capacity: 1000000000", "capacity: -1000000000")
    error = _error(tmp_path, text)
    assert "links[2].capacity" in str(error) and "negative" in error.message
    assert error.line == line_of(text, "-1000000000")


def test_unknown_units(tmp_path: Path) -> None:
    text = GOOD.replace("capacity: 10G", "capacity: 10Q")
    error = _error(tmp_path, text)
    assert "'10Q' is not a bandwidth" in error.message and "10G" in (error.accepted or "")
    assert error.line == line_of(text, "10Q")


def test_unknown_key_vendor_and_duplicate_key(tmp_path: Path) -> None:
    text = GOOD.replace("srlgs: [duct-a13]", "srlg: [duct-a13]")
    assert "unknown key 'srlg'" in _error(tmp_path, text).message
    text = GOOD.replace("vendor: junos", "vendor: nokia")
    error = _error(tmp_path, text)
    assert "'nokia' is not accepted" in error.message and "junos" in (error.accepted or "")
    text = GOOD.replace("role: core,", "role: core, role: edge,")
    assert "appears twice" in _error(tmp_path, text).message


def test_reference_errors_found_by_validate_name_the_line(tmp_path: Path) -> None:
    text = GOOD.replace("pop: Poissy, role: core", "pop: Paris, role: core")
    error = _error(tmp_path, text)
    assert "unknown PoP" in error.message and error.line == line_of(text, "pop: Paris")
    text = GOOD.replace("name: poissy-p1", "name: versailles-pe1")
    error = _error(tmp_path, text)
    assert "duplicate router name" in error.message


def test_empty_or_scalar_document(tmp_path: Path) -> None:
    assert "empty or not a mapping" in _error(tmp_path, "").message
    assert "expected a list" in _error(tmp_path, "pops: 3\n").message


def test_control_character_is_refused_with_its_line(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("name: Tiny", "name: T\x00iny"))
    assert "not valid YAML" in error.message and error.line == 1
