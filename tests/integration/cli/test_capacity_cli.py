"""`unilink capacity mlu | scenario`: the CLI contract, from real files and a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unilink.cli.main import app

SCENARIO = Path(__file__).resolve().parents[3] / "src/unilink/planning/scenarios/gigabit-homes.yaml"

# A diamond: A-B-D (metric 10+10, 100 Mbit/s) and A-C-D (metric 20+20, 200 Mbit/s); kbit/s as REPETITA.
DIAMOND_GRAPH = """\
NODES 4
label x y
0_A 2.0 48.0
1_B 3.0 49.0
2_C 3.0 47.0
3_D 4.0 48.0

EDGES 8
label src dest weight bw delay
edge_0 0 1 10 100000 1000
edge_1 1 0 10 100000 1000
edge_2 1 3 10 100000 1000
edge_3 3 1 10 100000 1000
edge_4 0 2 20 200000 1000
edge_5 2 0 20 200000 1000
edge_6 2 3 20 200000 1000
edge_7 3 2 20 200000 1000
"""

DIAMOND_DEMANDS = """\
DEMANDS 1
label src dest bw
demand_0 0 3 150000
"""


@pytest.fixture
def diamond(tmp_path: Path) -> tuple[Path, Path]:
    graph = tmp_path / "diamond.graph"
    graph.write_text(DIAMOND_GRAPH, encoding="utf-8")
    demands = tmp_path / "busy-hour.demands"  # another stem: the CLI pairs them itself
    demands.write_text(DIAMOND_DEMANDS, encoding="utf-8")
    return graph, demands


def run(*args: str):
    return CliRunner().invoke(app, ["capacity", *args])


def test_mlu_optimal_from_repetita_files(diamond):
    graph, demands = diamond
    result = run("mlu", "--topology", str(graph), "--demands", str(demands), "--format", "repetita", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # 150 Mbit/s over 100 + 200 Mbit/s of parallel paths: 50 % at best.
    assert report["routing"] == "optimal"
    assert report["max_utilization"] == pytest.approx(0.5, abs=1e-6)
    assert report["total_demand_bps"] == 150_000_000
    assert report["bottlenecks"][0]["utilization"] == pytest.approx(0.5, abs=1e-6)
    # Every link, both directions: A→D traffic leaves A over A-B and A-C, and nothing flows back.
    by_link = {row["link"]: row for row in report["link_loads"]}
    assert len(by_link) == 4
    leaving_a = sum(row["load_ab_bps"] if row["a"] == "A" else row["load_ba_bps"]
                    for row in by_link.values() if "A" in (row["a"], row["b"]))
    assert leaving_a == pytest.approx(150_000_000, abs=2)
    assert max(max(r["utilization_ab"], r["utilization_ba"]) for r in by_link.values()) == pytest.approx(0.5, abs=1e-6)


def test_mlu_ecmp_follows_the_igp(diamond):
    graph, demands = diamond
    result = run("mlu", "--topology", str(graph), "--demands", str(demands), "--format", "repetita",
                 "--routing", "ecmp", "--failures", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["routing"] == "ecmp"
    assert report["max_utilization"] == pytest.approx(1.5)  # all of it on the short branch
    top = report["bottlenecks"][0]
    assert top["utilization"] == pytest.approx(1.5) and top["from"] in ("A", "B")
    # Losing the short branch moves everything to the long one: 75 %.
    assert report["worst_failure"]["max_utilization"] == pytest.approx(1.5)


def test_mlu_table_output(diamond):
    graph, demands = diamond
    result = run("mlu", "--topology", str(graph), "--demands", str(demands), "--routing", "ecmp")
    assert result.exit_code == 0, result.output
    assert "max utilisation" in result.output and "150%" in result.output.replace(".0%", "%")


@pytest.mark.parametrize(("args", "fragment"), [
    (["--routing", "ospf"], "--routing"),
    (["--format", "graphml"], "--format"),
    (["--target", "3"], "--target"),
])
def test_mlu_bad_options_exit_2_with_a_clear_message(diamond, args, fragment):
    graph, demands = diamond
    result = run("mlu", "--topology", str(graph), "--demands", str(demands), *args, "--json")
    assert result.exit_code == 2
    error = json.loads(result.output)
    assert fragment in error["field"]
    assert "Traceback" not in result.output


def test_mlu_missing_file_exits_2(tmp_path):
    result = run("mlu", "--topology", str(tmp_path / "nowhere.graph"), "--format", "repetita", "--json")
    assert result.exit_code == 2
    assert json.loads(result.output)["field"] == "--topology"


def test_mlu_malformed_demands_name_the_users_file_and_line(diamond):
    graph, demands = diamond
    demands.write_text("DEMANDS 1\nlabel src dest bw\ndemand_0 0 9 150000\n", encoding="utf-8")
    result = run("mlu", "--topology", str(graph), "--demands", str(demands), "--format", "repetita", "--json")
    assert result.exit_code == 2
    error = json.loads(result.output)
    assert f"{demands}:3" in error["error"]
    assert "unilink-repetita-" not in result.output  # our temporary pairing never leaks into messages
    human = run("mlu", "--topology", str(graph), "--demands", str(demands), "--format", "repetita")
    assert human.exit_code == 2 and "Traceback" not in human.output


@pytest.fixture
def sample_store(store):
    sample = pytest.importorskip("unilink.inventory.sample", reason="the INVENTORY sample network is not there yet")
    store.replace_network(sample.load_sample_network())
    return store


def test_scenario_on_the_current_network_with_pictures(sample_store, tmp_path):
    png, svg = tmp_path / "map.png", tmp_path / "map.svg"
    result = run("scenario", str(SCENARIO), "--database", sample_store.url, "--json", "--png", str(png),
                 "--svg", str(svg), "--no-upgrades")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["scenario"] == "gigabit-homes" and report["routing"] == "ecmp"
    assert report["max_utilization"] > 0 and report["bottlenecks"]
    assert report["subscribers"] > 100_000
    # The busy-hour model asks for a small fraction of the sum of line rates.
    assert report["total_demand_bps"] < 0.01 * report["sum_of_access_rates_bps"]
    assert "worst_failure" in report and "upgrade_plan" not in report
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in svg.read_text(encoding="utf-8")


def test_scenario_years_ahead_grows_the_load(sample_store):
    now = json.loads(run("scenario", str(SCENARIO), "--database", sample_store.url, "--json", "--no-failures",
                         "--no-upgrades").output)
    later = json.loads(run("scenario", str(SCENARIO), "--database", sample_store.url, "--json", "--years", "2",
                           "--no-failures", "--no-upgrades").output)
    assert later["max_utilization"] == pytest.approx(now["max_utilization"] * 1.25 ** 2, rel=1e-6)


def test_scenario_errors_exit_2(sample_store, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\naccess_mix: [{rate: 1G, share: 1, busy_hour: 4M}]\n"
                   "subscribers: {by_pop: {Atlantis: 5}}\n", encoding="utf-8")
    result = run("scenario", str(bad), "--database", sample_store.url, "--json")
    assert result.exit_code == 2
    error = json.loads(result.output)
    assert error["field"] == "subscribers.by_pop.Atlantis"
    missing = run("scenario", str(tmp_path / "none.yaml"), "--database", sample_store.url)
    assert missing.exit_code == 2


def test_scenario_on_an_empty_database_says_so(store):
    result = run("scenario", str(SCENARIO), "--database", store.url, "--json")
    assert result.exit_code == 2
    assert json.loads(result.output)["field"] == "--database"


def test_scenario_adds_the_services_booked_in_the_ledger(sample_store, tmp_path, frozen_clock):
    """Reservations in the store are a fixed background load: exactly their bit/s on their arcs."""
    from datetime import timedelta

    from unilink.store.tables.services import ReservationRow
    from unilink.store.tenancy import add_tenant

    network = sample_store.load_network()
    link = next(lk for lk in network.links if {lk.a, lk.b} == {"Paris", "Lyon"})
    now = frozen_clock.now()  # the instant the scenario reads the ledger at
    with sample_store.session(write=True) as session:
        tenant = add_tenant(session, "acme", "enterprise", "ACME")
        session.flush()
        for bps, start, end in ((7 * 10**9, now - timedelta(days=1), None),             # counts
                                (5 * 10**9, now + timedelta(days=1), None),             # not yet
                                (3 * 10**9, now - timedelta(days=2), now - timedelta(days=1))):  # over
            session.add(ReservationRow(tenant_id=tenant.id, service="vpn1", link=link.name, direction="ab", bps=bps,
                                       start_at=start, end_at=end, hold_expires_at=None, priority=0))
    scenario = tmp_path / "only-ledger.yaml"
    scenario.write_text("name: only-ledger\n"
                        "access_mix: [{rate: 1G, share: 1, busy_hour: 0}]\n"
                        "subscribers: {by_pop: {Paris: 1}}\n"
                        "enterprise: {include_ledger: true}\n", encoding="utf-8")
    result = run("scenario", str(scenario), "--database", sample_store.url, "--json", "--no-failures",
                 "--no-upgrades")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ledger_booked_bps"] == 7 * 10**9
    top = report["bottlenecks"][0]
    assert (top["link"], top["from"], top["load_bps"]) == (link.name, link.a, 7 * 10**9)
    assert report["max_utilization"] == pytest.approx(7 * 10**9 / link.capacity_bps)


SNDLIB_TRIANGLE = """\
?SNDlib native format; type: network; version: 1.0
META (
  unit = MBITPERSEC
)
NODES (
  Paris ( 2.35 48.86 )
  Brussels ( 4.35 50.85 )
  Frankfurt ( 8.68 50.11 )
)
LINKS (
  L1 ( Paris Brussels ) 100.0 0.0 0.0 0.0 ( )
  L2 ( Brussels Frankfurt ) 100.0 0.0 0.0 0.0 ( )
  L3 ( Paris Frankfurt ) 100.0 0.0 0.0 0.0 ( )
)
DEMANDS (
  D1 ( Paris Frankfurt ) 1 150.0 UNLIMITED
)
"""


def test_mlu_from_one_sndlib_file(tmp_path):
    network = tmp_path / "triangle.txt"
    network.write_text(SNDLIB_TRIANGLE, encoding="utf-8")
    result = run("mlu", "--topology", str(network), "--format", "sndlib", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # 150 Mbit/s from Paris to Frankfurt: 75 direct, 75 via Brussels.
    assert report["max_utilization"] == pytest.approx(0.75, abs=1e-6)
    assert report["total_demand_bps"] == 150_000_000
    same = run("mlu", "--topology", str(network), "--demands", str(network), "--routing", "ecmp", "--json")
    assert same.exit_code == 0, same.output
    assert json.loads(same.output)["max_utilization"] == pytest.approx(1.5)  # the IGP takes the direct link


def test_mlu_with_a_separate_sndlib_traffic_matrix(tmp_path):
    """SNDlib traffic matrices are often a file of DEMANDS alone, beside the network file."""
    network_text, demands_text = SNDLIB_TRIANGLE.split("DEMANDS (")
    network = tmp_path / "triangle.txt"
    network.write_text(network_text, encoding="utf-8")
    matrix = tmp_path / "matrix.txt"
    matrix.write_text("DEMANDS (" + demands_text.replace("150.0", "100.0"), encoding="utf-8")
    result = run("mlu", "--topology", str(network), "--demands", str(matrix), "--format", "sndlib", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["total_demand_bps"] == 100_000_000
    assert report["max_utilization"] == pytest.approx(0.5, abs=1e-6)
