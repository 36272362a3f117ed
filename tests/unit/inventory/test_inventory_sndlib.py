"""SNDlib native format: a good file, and every malformed case names file, line and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from unilink.errors import ParseError
from unilink.inventory.importers import import_file

GOOD = """?SNDlib native format; type: network; version: 1.0
# network tiny

META (
  granularity = 1month
  unit = MBITPERSEC
)

NODES (
  Berlin ( 13.40 52.52 )
  Hamburg ( 9.99 53.55 )
  Frankfurt_Main ( 8.68 50.11 ) ( ) ( )
)

LINKS (
  L1 ( Berlin Hamburg ) 10000.00 0.00 0.00 0.00 ( 40000.00 1.00 )
  L2 ( Hamburg Frankfurt_Main ) 0.00 0.00 0.00 0.00 ( 2500.00 1.00 10000.00 3.00 )
  L3 ( Berlin Hamburg ) 10000.00 0.00 0.00 0.00 ( )
)

DEMANDS (
  D1 ( Berlin Frankfurt_Main ) 1 12.50 UNLIMITED
  D2 ( Hamburg Berlin ) 2 0.03 UNLIMITED
)

ADMISSIBLE_PATHS (
  D1 ( P1 ( L1 L2 ) )
)
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny.txt"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_good_file_nodes_links_and_demands(tmp_path: Path) -> None:
    result = import_file(write(tmp_path, GOOD))
    net = result.network
    assert [p.name for p in net.pops] == ["Berlin", "Hamburg", "Frankfurt_Main"]
    assert (net.pops[0].lon, net.pops[0].lat) == (13.40, 52.52)  # x is the longitude
    links = {(lk.a, lk.b): lk for lk in net.links}
    # L1 + L3 are parallel: one link, 10000 + 10000 Mbit/s
    assert links[("Berlin", "Hamburg")].capacity_bps == 20 * 10**9
    # L2 has no pre-installed capacity: one module of the largest type, 10000 Mbit/s
    assert links[("Hamburg", "Frankfurt_Main")].capacity_bps == 10 * 10**9
    assert 250 < links[("Berlin", "Hamburg")].length_km < 260
    assert any("L1, L3" in m for m in result.merged)
    # demand = value × routing unit, in Mbit/s
    assert [(d.src, d.dst, d.bps) for d in result.demands] == [("Berlin", "Frankfurt_Main", 12_500_000),
                                                                ("Hamburg", "Berlin", 60_000)]


def test_meta_unit_is_honoured(tmp_path: Path) -> None:
    result = import_file(write(tmp_path, GOOD.replace("MBITPERSEC", "GBITPERSEC")))
    assert result.demands[0].bps == 12_500_000_000


def _error(path: Path) -> ParseError:
    with pytest.raises(ParseError) as info:
        import_file(path, fmt="sndlib")
    assert info.value.path == str(path) and str(path) in str(info.value)
    return info.value


def test_truncated_file(tmp_path: Path) -> None:
    cut = GOOD[: GOOD.index("L2 (")]
    error = _error(write(tmp_path, cut))
    assert "truncated" in error.message and "LINKS" in error.message
    assert error.line == line_of(cut, "L1 (")


def test_wrong_type(tmp_path: Path) -> None:
    text = GOOD.replace("( 13.40 52.52 )", "( east 52.52 )")
    error = _error(write(tmp_path, text))
    assert "longitude of node Berlin" in error.message and "'east'" in error.message
    assert error.line == line_of(text, "Berlin ( east")


def test_dangling_link(tmp_path: Path) -> None:
    text = GOOD.replace("L2 ( Hamburg Frankfurt_Main )", "L2 ( Hamburg Munich )")
    error = _error(write(tmp_path, text))
    assert "dangling link L2" in error.message and "'Munich'" in error.message
    assert error.line == line_of(text, "L2 (")


def test_dangling_demand(tmp_path: Path) -> None:
    text = GOOD.replace("D2 ( Hamburg Berlin )", "D2 ( Hamburg Paris )")
    error = _error(write(tmp_path, text))
    assert "dangling demand D2" in error.message and error.line == line_of(text, "D2 (")


def test_negative_capacity(tmp_path: Path) -> None:
    text = GOOD.replace("L1 ( Berlin Hamburg ) 10000.00", "L1 ( Berlin Hamburg ) -10000.00")
    error = _error(write(tmp_path, text))
    assert "pre-installed capacity of link L1" in error.message and "negative" in error.message
    assert error.line == line_of(text, "L1 (")


def test_unknown_units(tmp_path: Path) -> None:
    text = GOOD.replace("unit = MBITPERSEC", "unit = FURLONGS")
    error = _error(write(tmp_path, text))
    assert "unknown units 'FURLONGS'" in error.message and "MBITPERSEC" in str(error)
    assert error.line == line_of(text, "FURLONGS")


def test_capacity_with_a_unit_suffix_is_not_a_number(tmp_path: Path) -> None:
    text = GOOD.replace("L1 ( Berlin Hamburg ) 10000.00", "L1 ( Berlin Hamburg ) 10G")
    error = _error(write(tmp_path, text))
    assert "'10G' is not a number" in error.message and "no unit" in str(error)


def test_unknown_section_and_missing_nodes(tmp_path: Path) -> None:
    assert "unknown section 'EDGES'" in _error(write(tmp_path, "EDGES (\n)\n")).message
    assert "no NODES section" in _error(write(tmp_path, "# nothing\n")).message


DEMANDS_ONLY = """?SNDlib native format; type: demands; version: 1.0
META (
  unit = MBITPERSEC
)
DEMANDS (
  D1 ( Berlin Frankfurt_Main ) 1 12.50 UNLIMITED
  D2 ( Hamburg Berlin ) 1 0.25 UNLIMITED
)
"""


def test_a_demands_only_file_is_read_by_read_demands_and_refused_as_a_network(tmp_path: Path) -> None:
    from unilink.inventory.importers import read_demands

    path = write(tmp_path, DEMANDS_ONLY)
    assert [(d.src, d.dst, d.bps) for d in read_demands(path)] == [("Berlin", "Frankfurt_Main", 12_500_000),
                                                                    ("Hamburg", "Berlin", 250_000)]
    error = _error(path)
    assert "no NODES section" in error.message and "read_demands" in error.message
    # a full network file gives the same demands both ways
    assert read_demands(write(tmp_path, GOOD)) == import_file(write(tmp_path, GOOD)).demands


def test_demands_before_nodes_are_still_checked(tmp_path: Path) -> None:
    network_part = GOOD[GOOD.index("NODES ("):GOOD.index("DEMANDS (")]
    text = DEMANDS_ONLY.replace("D2 ( Hamburg Berlin )", "D2 ( Hamburg Paris )") + network_part
    error = _error(write(tmp_path, text))
    assert "dangling demand" in error.message and "'Paris'" in error.message
    assert error.line == line_of(text, "D2 (")
