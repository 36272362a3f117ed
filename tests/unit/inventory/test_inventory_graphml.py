"""GraphML importer: the Topology Zoo oddities, one by one, and every malformed case."""

from __future__ import annotations

from pathlib import Path

import pytest

from unilink.errors import ParseError
from unilink.inventory.importers import import_file
from unilink.inventory.importers.graphml import DEFAULT_CAPACITY_BPS, import_graphml

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key attr.name="label" attr.type="string" for="node" id="d0" />
  <key attr.name="Latitude" attr.type="double" for="node" id="d1" />
  <key attr.name="Longitude" attr.type="double" for="node" id="d2" />
  <key attr.name="Country" attr.type="string" for="node" id="d3" />
  <key attr.name="Internal" attr.type="int" for="node" id="d4" />
  <key attr.name="hyperedge" attr.type="int" for="node" id="d5" />
  <key attr.name="LinkSpeedRaw" attr.type="double" for="edge" id="d6" />
  <key attr.name="LinkSpeed" attr.type="string" for="edge" id="d7" />
  <key attr.name="LinkSpeedUnits" attr.type="string" for="edge" id="d8" />
  <key attr.name="label" attr.type="string" for="graph" id="d9" />
  <graph edgedefault="undirected">
    <data key="d9">Tiny</data>
"""
TAIL = "  </graph>\n</graphml>\n"


def node(node_id: str, label: str, lat: float | None = None, lon: float | None = None, *, internal: int = 1,
         hyperedge: bool = False, country: str = "France") -> str:
    parts = [f'    <node id="{node_id}">', f'      <data key="d0">{label}</data>',
             f'      <data key="d4">{internal}</data>', f'      <data key="d3">{country}</data>']
    if lat is not None:
        parts += [f'      <data key="d1">{lat}</data>', f'      <data key="d2">{lon}</data>']
    if hyperedge:
        parts.append('      <data key="d5">1</data>')
    return "\n".join([*parts, "    </node>"]) + "\n"


def edge(u: str, v: str, raw: str | None = None, *, speed: str | None = None, units: str | None = None) -> str:
    body = ""
    if raw is not None:
        body += f'      <data key="d6">{raw}</data>\n'
    if speed is not None:
        body += f'      <data key="d7">{speed}</data>\n'
    if units is not None:
        body += f'      <data key="d8">{units}</data>\n'
    return f'    <edge source="{u}" target="{v}">\n{body}    </edge>\n'


PARIS = node("0", "Paris", 48.8566, 2.3522)
LONDON = node("1", "London", 51.5074, -0.1278, country="United Kingdom")
BRUSSELS = node("2", "Brussels", 50.8503, 4.3517, country="Belgium")


def write(tmp_path: Path, body: str, name: str = "net.graphml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body + TAIL, encoding="utf-8")
    return path


def test_good_file_gives_pops_routers_links_with_lengths(tmp_path: Path) -> None:
    path = write(tmp_path, PARIS + LONDON + BRUSSELS + edge("0", "1", "10000000000.0") + edge("1", "2"))
    result = import_file(path)
    net = result.network
    assert net.name == "Tiny"
    assert [p.name for p in net.pops] == ["Paris", "London", "Brussels"]
    assert [p.country for p in net.pops] == ["FR", "GB", "BE"]
    paris_london = net.links[0]
    assert (paris_london.a, paris_london.b, paris_london.capacity_bps) == ("Paris", "London", 10**10)
    assert 330 < paris_london.length_km < 350  # great-circle Paris–London ≈ 344 km
    assert paris_london.latency_ms == pytest.approx(paris_london.length_km * 0.005)
    assert net.links[1].capacity_bps == DEFAULT_CAPACITY_BPS  # no LinkSpeedRaw → the documented default
    assert any("1 of 2 links" in n for n in result.notes)
    # one edge router per PoP, loopbacks in node order, vendor rotation
    assert [(r.name, r.pop, r.role.value, r.loopback) for r in net.routers] == [
        ("paris-pe1", "Paris", "edge", "10.255.0.1"), ("london-pe1", "London", "edge", "10.255.0.2"),
        ("brussels-pe1", "Brussels", "edge", "10.255.0.3")]
    assert [r.vendor.value for r in net.routers] == ["junos", "iosxr", "sros"]
    assert (paris_london.a_router, paris_london.b_router) == ("paris-pe1", "london-pe1")


def test_capacity_from_linkspeed_and_units_when_raw_is_absent(tmp_path: Path) -> None:
    path = write(tmp_path, PARIS + LONDON + edge("0", "1", speed="2.5", units="G"))
    assert import_file(path).network.links[0].capacity_bps == 2_500_000_000


def test_default_capacity_is_an_argument(tmp_path: Path) -> None:
    path = write(tmp_path, PARIS + LONDON + edge("0", "1"))
    assert import_graphml(path, default_capacity_bps=40 * 10**9).network.links[0].capacity_bps == 40 * 10**9


def test_external_stub_is_skipped_with_its_edges(tmp_path: Path) -> None:
    stub = node("9", "East Africa", internal=0)
    result = import_file(write(tmp_path, PARIS + LONDON + stub + edge("0", "1") + edge("0", "9")))
    assert [p.name for p in result.network.pops] == ["Paris", "London"]
    assert len(result.network.links) == 1
    assert any("East Africa" in s and "external stub" in s and "1 edge" in s for s in result.skipped)


def test_junction_is_contracted_joining_its_neighbours_pairwise(tmp_path: Path) -> None:
    junction = node("7", "None", hyperedge=True)
    body = PARIS + LONDON + BRUSSELS + junction + edge("0", "7", "1e10") + edge("1", "7", "4e10") + edge("2", "7")
    result = import_file(write(tmp_path, body))
    pairs = {frozenset((lk.a, lk.b)): lk.capacity_bps for lk in result.network.links}
    assert pairs == {frozenset(("Paris", "London")): 10**10, frozenset(("Paris", "Brussels")): 10**10,
                     frozenset(("London", "Brussels")): 4 * 10**10}
    assert "None" not in {p.name for p in result.network.pops}
    assert any("junction" in m and "Paris, London, Brussels" in m for m in result.merged)


def test_node_without_coordinates_is_dropped_and_reported(tmp_path: Path) -> None:
    dubai = node("5", "Dubai", country="United Arab Emirates")
    result = import_file(write(tmp_path, PARIS + LONDON + dubai + edge("0", "1") + edge("0", "5") + edge("5", "1")))
    assert "Dubai" not in {p.name for p in result.network.pops}
    assert len(result.network.links) == 1
    assert any("Dubai" in s and "no coordinates" in s and "2 edge" in s for s in result.skipped)


def test_self_loop_is_skipped(tmp_path: Path) -> None:
    result = import_file(write(tmp_path, PARIS + LONDON + edge("0", "1") + edge("0", "0")))
    assert len(result.network.links) == 1
    assert any("Paris--Paris" in s and "self-loop" in s for s in result.skipped)


def test_parallel_edges_merge_summing_known_capacity(tmp_path: Path) -> None:
    result = import_file(write(tmp_path, PARIS + LONDON + edge("0", "1", "1e10") + edge("1", "0", "1e10")))
    assert len(result.network.links) == 1
    assert result.network.links[0].capacity_bps == 2 * 10**10
    assert any("2 parallel edges Paris--London" in m and "20G" in m for m in result.merged)


def test_duplicate_labels_are_disambiguated_in_file_order(tmp_path: Path) -> None:
    second = node("3", "Paris", 48.85, 2.35)
    third = node("4", "Paris", 48.86, 2.36)
    result = import_file(write(tmp_path, PARIS + second + third + edge("0", "3") + edge("3", "4")))
    assert [p.name for p in result.network.pops] == ["Paris", "Paris (2)", "Paris (3)"]
    assert [p.city for p in result.network.pops] == ["Paris", "Paris", "Paris"]
    assert sum("duplicate label 'Paris'" in m for m in result.merged) == 2
    assert len({r.name for r in result.network.routers}) == 3


def test_accented_label_becomes_an_ascii_name_and_keeps_its_city(tmp_path: Path) -> None:
    zurich = node("3", "Zürich, CH", 47.3769, 8.5417, country="Switzerland")
    result = import_file(write(tmp_path, PARIS + zurich + edge("0", "3")))
    pop = result.network.pops[1]
    assert (pop.name, pop.city, pop.country) == ("Zurich CH", "Zürich, CH", "CH")


# --- malformed files: a ParseError naming file, line and problem; nothing returned ----------------

def _error(path: Path) -> ParseError:
    with pytest.raises(ParseError) as info:
        import_file(path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    return info.value


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.graphml"
    path.write_text((HEAD + PARIS + LONDON + edge("0", "1"))[:-40], encoding="utf-8")
    error = _error(path)
    assert "not well-formed XML" in error.message
    assert error.line is not None and error.line > 1


def test_wrong_type_names_the_attribute_and_line(tmp_path: Path) -> None:
    bad = PARIS.replace("48.8566", "north")
    error = _error(write(tmp_path, bad + LONDON + edge("0", "1")))
    assert "Latitude" in error.message and "'north'" in error.message and "double" in error.message
    assert error.line == HEAD.count("\n") + 5  # the <data key="d1"> line of node 0


def test_dangling_edge(tmp_path: Path) -> None:
    error = _error(write(tmp_path, PARIS + LONDON + edge("0", "42")))
    assert "dangling edge" in error.message and "'42'" in error.message
    assert error.line == HEAD.count("\n") + (PARIS + LONDON).count("\n") + 1


def test_negative_capacity(tmp_path: Path) -> None:
    error = _error(write(tmp_path, PARIS + LONDON + edge("0", "1", "-1e9")))
    assert "positive" in error.message and "-1000000000" in error.message
    assert error.line == HEAD.count("\n") + (PARIS + LONDON).count("\n") + 1


def test_unknown_units(tmp_path: Path) -> None:
    error = _error(write(tmp_path, PARIS + LONDON + edge("0", "1", speed="10", units="Q")))
    assert "unknown LinkSpeedUnits 'Q'" in error.message
    assert "k, M, G or T" in str(error)


def test_latitude_out_of_range_names_the_node_line(tmp_path: Path) -> None:
    error = _error(write(tmp_path, node("0", "Nowhere", 123.0, 2.0) + LONDON))
    assert "latitude" in error.message and error.line == HEAD.count("\n") + 1


def test_not_graphml_at_all(tmp_path: Path) -> None:
    path = tmp_path / "x.graphml"
    path.write_text("<?xml version='1.0'?><root/>", encoding="utf-8")
    assert "no <graph> element" in _error(path).message


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no such file"):
        import_file(tmp_path / "absent.graphml")
    (tmp_path / "net.csv").write_text("a,b", encoding="utf-8")
    with pytest.raises(ParseError, match="cannot tell the format"):
        import_file(tmp_path / "net.csv")
    with pytest.raises(ParseError, match="unknown format 'gml'"):
        import_file(tmp_path / "net.csv", fmt="gml")


def test_attributes_we_rely_on_are_typed_whatever_the_file_declares(tmp_path: Path) -> None:
    text = (HEAD.replace('attr.name="Latitude" attr.type="double"', 'attr.name="Latitude" attr.type="string"')
            .replace('attr.name="Internal" attr.type="int"', 'attr.name="Internal" attr.type="string"'))
    path = tmp_path / "strings.graphml"
    stub = node("9", "Elsewhere", internal=0)
    path.write_text(text + PARIS + LONDON + stub + edge("0", "1") + TAIL, encoding="utf-8")
    result = import_file(path)
    assert result.network.pops[0].lat == 48.8566 and len(result.network.pops) == 2
    path.write_text(text + PARIS.replace("48.8566", "1e999") + LONDON + TAIL, encoding="utf-8")
    assert "Latitude" in _error(path).message
    path.write_text(HEAD + PARIS.replace('<data key="d4">1</data>', '<data key="d4">1e999</data>') + TAIL,
                    encoding="utf-8")
    assert "Internal" in _error(path).message
