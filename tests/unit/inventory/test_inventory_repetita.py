"""REPETITA .graph/.demands: units (kbit/s, µs), direction merging, and every malformed case."""

from __future__ import annotations

from pathlib import Path

import pytest

from unilink.errors import ParseError
from unilink.inventory.importers import import_file

GRAPH = """NODES 3
label x y
0_Paris 2.35 48.86
1_London -0.13 51.51
2_New_York -74.0 40.71

EDGES 6
label src dest weight bw delay
edge_0 0 1 10 10000000 1700
edge_1 1 0 10 10000000 1700
edge_2 1 2 50 2500000 28000
edge_3 2 1 50 2500000 28000
edge_4 1 2 50 2500000 28000
edge_5 2 1 50 1000000 0
"""
DEMANDS = """DEMANDS 2
label src dest bw
demand_0 0 1 250000
demand_1 2 0 1500.5
"""


def write(tmp_path: Path, graph: str = GRAPH, demands: str | None = DEMANDS,
          demands_name: str = "Tiny.0000.demands") -> Path:
    path = tmp_path / "Tiny.graph"
    path.write_text(graph, encoding="utf-8")
    if demands is not None:
        (tmp_path / demands_name).write_text(demands, encoding="utf-8")
    return path


def test_good_graph_and_demands(tmp_path: Path) -> None:
    result = import_file(write(tmp_path))
    net = result.network
    assert [p.name for p in net.pops] == ["Paris", "London", "New York"]
    assert (net.pops[0].lon, net.pops[0].lat) == (2.35, 48.86)
    paris_london, london_ny = net.links
    assert (paris_london.capacity_bps, paris_london.latency_ms, paris_london.igp_metric) == (10**10, 1.7, 10)
    assert 340 < paris_london.length_km < 347
    # London→NY: 2.5G + 2.5G = 5G; NY→London: 2.5G + 1G = 3.5G: the link gets the smaller
    assert london_ny.capacity_bps == 3_500_000_000
    assert london_ny.latency_ms == 28.0
    assert any("3.5G" in n for n in result.notes)
    assert any("parallel edges London--New York" in m for m in result.merged)
    assert [(d.src, d.dst, d.bps) for d in result.demands] == [("Paris", "London", 250_000_000),
                                                                ("New York", "Paris", 1_500_500)]
    assert paris_london.a_router == "paris-pe1"


def test_demands_file_as_entry_point_and_plain_demands_name(tmp_path: Path) -> None:
    write(tmp_path, demands_name="Tiny.demands")
    by_demands = import_file(tmp_path / "Tiny.demands")
    assert len(by_demands.demands) == 2 and len(by_demands.network.pops) == 3


def test_graph_without_demands(tmp_path: Path) -> None:
    assert import_file(write(tmp_path, demands=None)).demands == ()


def _error(path: Path) -> ParseError:
    with pytest.raises(ParseError) as info:
        import_file(path)
    assert str(info.value.path) in str(info.value)
    return info.value


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_truncated_graph(tmp_path: Path) -> None:
    cut = GRAPH[: GRAPH.index("edge_3")]
    error = _error(write(tmp_path, cut, None))
    assert "truncated" in error.message and "edge 4 of 6" in error.message
    assert error.path.endswith("Tiny.graph")


def test_wrong_type(tmp_path: Path) -> None:
    text = GRAPH.replace("edge_2 1 2 50 2500000", "edge_2 1 2 fifty 2500000")
    error = _error(write(tmp_path, text, None))
    assert "weight of edge edge_2" in error.message and "'fifty'" in error.message
    assert error.line == line_of(text, "edge_2")


def test_dangling_edge(tmp_path: Path) -> None:
    text = GRAPH.replace("edge_2 1 2 ", "edge_2 1 7 ")
    error = _error(write(tmp_path, text, None))
    assert "dangling edge edge_2 dest" in error.message and "0..2" in str(error)
    assert error.line == line_of(text, "edge_2")


def test_dangling_demand_names_the_demands_file(tmp_path: Path) -> None:
    error = _error(write(tmp_path, demands=DEMANDS.replace("demand_1 2 0", "demand_1 9 0")))
    assert error.path.endswith("Tiny.0000.demands") and error.line == 4


def test_negative_capacity(tmp_path: Path) -> None:
    text = GRAPH.replace("edge_0 0 1 10 10000000", "edge_0 0 1 10 -10000000")
    error = _error(write(tmp_path, text, None))
    assert "bw of edge edge_0" in error.message and "negative" in error.message
    assert error.line == line_of(text, "edge_0")


def test_unknown_units(tmp_path: Path) -> None:
    text = GRAPH.replace("edge_0 0 1 10 10000000", "edge_0 0 1 10 10Gbps")
    error = _error(write(tmp_path, text, None))
    assert "'10Gbps' is not a number" in error.message and "kbit/s" in error.message


def test_bad_header_and_extra_lines(tmp_path: Path) -> None:
    assert "expected 'NODES <count>'" in _error(write(tmp_path, "NODE 3\n", None)).message
    error = _error(write(tmp_path, GRAPH + "edge_6 0 1 1 1 1\n", None))
    assert "unexpected line" in error.message and error.line == GRAPH.count("\n") + 1


def test_infinite_coordinate(tmp_path: Path) -> None:
    text = GRAPH.replace("0_Paris 2.35 48.86", "0_Paris 1e999 48.86")
    error = _error(write(tmp_path, text, None))
    assert "x (longitude) of node 0_Paris" in error.message and "finite" in error.message
    assert error.line == line_of(text, "0_Paris")


@pytest.mark.parametrize(("bad", "words"), [("-5", "negative"), ("5Mbps", "is not a number"), ("inf", "not finite"),
                                            ("x1", "dangling")])
def test_a_bad_demand_row_among_good_ones_is_named(tmp_path: Path, bad: str, words: str) -> None:
    """Well-formed matrices take a one-pass route; one bad row must still be named with its line."""
    rows = [f"demand_{k} {k % 3} {(k + 1) % 3} 1000" for k in range(50)]
    field = 1 if bad == "x1" else 3
    fields = rows[37].split()
    fields[field] = bad
    rows[37] = " ".join(fields)
    demands = f"DEMANDS {len(rows)}\nlabel src dest bw\n" + "\n".join(rows) + "\n"
    error = _error(write(tmp_path, demands=demands))
    assert words in error.message and error.line == 2 + 38


def test_an_empty_demand_matrix_is_no_demands(tmp_path: Path) -> None:
    result = import_file(write(tmp_path, demands="DEMANDS 0\nlabel src dest bw\n"))
    assert result.demands == ()


def test_many_demands_read_exactly(tmp_path: Path) -> None:
    rows = [f"demand_{k} {k % 3} {(k + 2) % 3} {k}.5" for k in range(300)]
    result = import_file(write(tmp_path, demands="DEMANDS 300\nlabel src dest bw\n" + "\n".join(rows) + "\n"))
    names = ["Paris", "London", "New York"]
    assert [(d.src, d.dst, d.bps) for d in result.demands] == [
        (names[k % 3], names[(k + 2) % 3], round((k + 0.5) * 1000)) for k in range(300)]
