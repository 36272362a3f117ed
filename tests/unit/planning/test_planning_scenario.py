"""Scenario parsing (clear errors naming the field) and the gravity traffic matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from planning_helpers import make_network

from unilink.errors import ParseError, ValidationError
from unilink.inventory.model import Interconnect, InterconnectKind, Router, RouterRole, Vendor
from unilink.planning.scenario import (
    gravity_matrix,
    grown,
    load_scenario,
    parse_scenario,
    scenario_matrix,
    subscribers_per_pop,
)

SCENARIO_DIR = Path(__file__).resolve().parents[3] / "src" / "unilink" / "planning" / "scenarios"


def base(**overrides):
    data = {
        "name": "t",
        "growth_per_year": 0.2,
        "access_mix": [{"technology": "FTTH", "rate": "1G", "share": 0.5, "busy_hour": "4M"},
                       {"technology": "VDSL2", "rate": "50M", "share": 0.5, "busy_hour": "2M"}],
        "subscribers": {"by_pop": {"A": 100, "B": 300}},
    }
    data.update(overrides)
    return data


def test_busy_hour_average_is_the_mix_weighted_mean():
    scenario = parse_scenario(base())
    assert scenario.busy_hour_per_subscriber_bps == pytest.approx(3_000_000)
    assert scenario.access_rate_per_subscriber_bps == pytest.approx(525_000_000)
    assert scenario.growth_per_year == 0.2


@pytest.mark.parametrize(("change", "field"), [
    ({"access_mix": [{"rate": "1G", "share": 0.7, "busy_hour": "4M"}]}, "access_mix"),
    ({"access_mix": [{"rate": "1 gigabit", "share": 1, "busy_hour": "4M"}]}, "access_mix[0].rate"),
    ({"access_mix": [{"rate": "10M", "share": 1, "busy_hour": "40M"}]}, "access_mix[0].busy_hour"),
    ({"growth_per_year": "fast"}, "growth_per_year"),
    ({"target_utilization": 1.5}, "target_utilization"),
    ({"routing": "ospf"}, "routing"),
    ({"subscribers": {"by_pop": {"A": -3}}}, "subscribers.by_pop.A"),
    ({"subscribers": {"by_region": {False: 3}}}, "subscribers.by_region.False"),
    ({"subscribers": {}}, "subscribers"),
    ({"traffic": {"model": "lognormal"}}, "traffic.model"),
    ({"traffic": {"upstream": 0.1}}, "traffic.upstream"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_scenarios_name_the_field(change, field):
    with pytest.raises(ValidationError) as info:
        parse_scenario(base(**change))
    assert info.value.field == field


def test_load_scenario_reports_yaml_errors_with_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\naccess_mix: [\n", encoding="utf-8")
    with pytest.raises(ParseError) as info:
        load_scenario(path)
    assert info.value.path == str(path)
    assert info.value.line is not None


def test_gravity_without_sources_sends_in_proportion_to_subscribers():
    net = make_network([("A", "B"), ("B", "C")])
    scenario = parse_scenario(base(subscribers={"by_pop": {"A": 100, "B": 300, "C": 600}}, access_mix=[
        {"rate": "1G", "share": 1, "busy_hour": "1M"}]))
    matrix = gravity_matrix(scenario, net)
    # C pulls 600 × 1 Mbit/s, from A and B in proportion 100 : 300.
    assert matrix[0, 2] == pytest.approx(600e6 * 100 / 400)
    assert matrix[1, 2] == pytest.approx(600e6 * 300 / 400)
    # Every PoP receives exactly what its subscribers pull; nothing stays on the diagonal.
    assert matrix.sum(axis=0) == pytest.approx([100e6, 300e6, 600e6])
    assert np.diag(matrix).sum() == 0


def test_gravity_from_internet_interconnects_with_upstream():
    net = make_network([("A", "B"), ("B", "C")])
    net.interconnects.append(Interconnect("T", InterconnectKind.TRANSIT, "A", "Cogent", 100))
    net.interconnects.append(Interconnect("L", InterconnectKind.LOCAL_LOOP, "C", "Orange", 100))
    scenario = parse_scenario(base(subscribers={"by_pop": {"B": 10, "C": 30}},
                                   access_mix=[{"rate": "1G", "share": 1, "busy_hour": "2M"}],
                                   traffic={"upstream_ratio": 0.1, "sources": {"internet_interconnects": True}}))
    matrix = gravity_matrix(scenario, net)
    assert matrix[0, 1] == pytest.approx(20e6)   # all downstream comes from A (local loop is not a source)
    assert matrix[0, 2] == pytest.approx(60e6)
    assert matrix[2, 0] == pytest.approx(6e6)    # 10 % upstream
    assert matrix[1, 2] == 0


def test_regions_spread_over_pops_with_edge_routers_only():
    net = make_network([("A", "B"), ("B", "C")])
    net.routers.extend([Router("a-pe", "A", RouterRole.EDGE, Vendor.FRR, "10.0.0.1"),
                        Router("b-p", "B", RouterRole.CORE, Vendor.FRR, "10.0.0.2"),
                        Router("c-pe", "C", RouterRole.EDGE, Vendor.FRR, "10.0.0.3")])
    scenario = parse_scenario(base(subscribers={"by_region": {"fr": 1000}}))
    assert subscribers_per_pop(scenario, net).tolist() == [500, 0, 500]
    with pytest.raises(ValidationError) as info:
        subscribers_per_pop(parse_scenario(base(subscribers={"by_region": {"DE": 1}})), net)
    assert info.value.field == "subscribers.by_region.DE"


def test_unknown_pop_and_enterprise_demands():
    net = make_network([("A", "B")])
    with pytest.raises(ValidationError) as info:
        gravity_matrix(parse_scenario(base(subscribers={"by_pop": {"Z": 1}})), net)
    assert info.value.field == "subscribers.by_pop.Z"
    scenario = parse_scenario(base(enterprise={"demands": [{"src": "A", "dst": "B", "bps": "10G"}]}))
    assert scenario_matrix(scenario, net)[0, 1] == pytest.approx(10e9 + 300 * 3e6)


def test_growth_compounds():
    assert grown(np.ones((2, 2)), 0.25, 2).tolist() == [[1.5625, 1.5625], [1.5625, 1.5625]]


def test_the_shipped_gigabit_homes_scenario_parses():
    scenario = load_scenario(SCENARIO_DIR / "gigabit-homes.yaml")
    assert scenario.name == "gigabit-homes"
    assert scenario.access_mix[0].rate_bps == 10**9
    assert 1e6 <= scenario.busy_hour_per_subscriber_bps <= 10e6  # a few Mbit/s, as the cited figures say
    assert "NO" in scenario.subscribers_by_region  # quoted: YAML would otherwise read Norway as false
    assert scenario.sources_from_interconnects


def test_the_shipped_scenario_fits_the_sample_network():
    sample = pytest.importorskip("unilink.inventory.sample", reason="the INVENTORY sample network is not there yet")
    network = sample.load_sample_network()
    scenario = load_scenario(SCENARIO_DIR / "gigabit-homes.yaml")
    matrix = scenario_matrix(scenario, network)
    subscribers = subscribers_per_pop(scenario, network).sum()
    expected = subscribers * scenario.busy_hour_per_subscriber_bps * 1.15  # + 15 % upstream
    assert matrix.sum() == pytest.approx(expected, rel=1e-9)


def test_a_file_scenario_reads_its_demands_with_the_inventory_importer(tmp_path):
    (tmp_path / "busy-hour.txt").write_text(
        "?SNDlib native format; type: network; version: 1.0\n"
        "NODES (\n  A ( 2.0 40.0 )\n  B ( 3.0 40.5 )\n)\n"
        "LINKS (\n  L1 ( A B ) 100.0 0.0 0.0 0.0 ( )\n)\n"
        "DEMANDS (\n  D1 ( A B ) 1 12.5 UNLIMITED\n  D2 ( B A ) 1 2.0 UNLIMITED\n)\n", encoding="utf-8")
    scenario_file = tmp_path / "measured.yaml"
    scenario_file.write_text("name: measured\ntraffic: {model: file, file: busy-hour.txt, format: sndlib}\n",
                             encoding="utf-8")
    scenario = load_scenario(scenario_file)
    assert scenario.demands_file == tmp_path / "busy-hour.txt"  # relative to the scenario file
    matrix = scenario_matrix(scenario, make_network([("A", "B")]))
    assert matrix.tolist() == [[0, 12_500_000], [2_000_000, 0]]  # SNDlib values are Mbit/s


def test_a_file_scenario_naming_unknown_pops_is_refused(tmp_path):
    (tmp_path / "d.txt").write_text(
        "?SNDlib native format; type: network; version: 1.0\n"
        "NODES (\n  A ( 2.0 40.0 )\n  Z ( 3.0 40.5 )\n)\n"
        "LINKS (\n  L1 ( A Z ) 100.0 0.0 0.0 0.0 ( )\n)\n"
        "DEMANDS (\n  D1 ( A Z ) 1 1.0 UNLIMITED\n)\n", encoding="utf-8")
    scenario = parse_scenario({"name": "x", "traffic": {"model": "file", "file": "d.txt"}}, base_dir=tmp_path)
    with pytest.raises(ValidationError) as info:
        scenario_matrix(scenario, make_network([("A", "B")]))
    assert info.value.value == "Z"
