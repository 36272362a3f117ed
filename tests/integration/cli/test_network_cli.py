"""`unilink network import | show | export`, `unilink db upgrade`, `unilink seed`: the CLI on a real SQLite file.

The JSON documents checked here are the public contract of the issue (scripts rely on them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unilink.cli.main import app
from unilink.store.db import Store

CONNECTIS = Path(__file__).resolve().parents[3] / "src/unilink/inventory/sample/connectis78.yaml"

SMALL_YAML = """\
name: small
pops:
  - {name: Paris, city: Paris, country: FR, lat: 48.8566, lon: 2.3522}
  - {name: London, city: London, country: GB, lat: 51.5074, lon: -0.1278}
  - {name: Frankfurt, city: Frankfurt am Main, country: DE, lat: 50.1109, lon: 8.6821}
links:
  - {a: Paris, b: London, capacity: 100G}
  - {a: London, b: Frankfurt, capacity: 10G, length_km: 700}
"""

OTHER_YAML = """\
name: other
pops:
  - {name: Milan, city: Milano, country: IT, lat: 45.4642, lon: 9.19}
  - {name: Zurich, city: Zurich, country: CH, lat: 47.3769, lon: 8.5417}
links:
  - {a: Milan, b: Zurich, capacity: 10G}
"""

# Each malformed file, and a fragment the error message must contain (besides the file name).
MALFORMED = {
    "truncated": (SMALL_YAML[:SMALL_YAML.index("  - {name: London") + 30], ":"),
    "negative-capacity": (SMALL_YAML.replace("capacity: 10G", "capacity: -10G"), "capacity"),
    "unknown-unit": (SMALL_YAML.replace("capacity: 10G", "capacity: 10 furlongs"), "capacity"),
    "dangling-edge": (SMALL_YAML.replace("b: Frankfurt", "b: Atlantis"), "Atlantis"),
    "wrong-type": (SMALL_YAML.replace("lat: 48.8566", "lat: north"), "lat"),
}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def cli(db_url: str) -> CliRunner:
    return CliRunner(env={"UNILINK_DATABASE_URL": db_url})


def run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr, result.exception)
    return result.stdout


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(db_url: str) -> tuple[object, int]:
    with Store.open(db_url) as store:
        return store.load_network(), store.topology_version()


def test_import_json_then_show_json(cli: CliRunner, tmp_path: Path) -> None:
    summary = json.loads(run(cli, "network", "import", str(write(tmp_path, "small.yaml", SMALL_YAML)), "--json"))
    assert summary == {"nodes": 3, "links": 2, "skipped": [], "merged": []}
    shown = json.loads(run(cli, "network", "show", "--json"))
    assert set(shown) == {"nodes", "links", "interconnects"}
    assert [n["name"] for n in shown["nodes"]] == ["Paris", "London", "Frankfurt"]
    paris = shown["nodes"][0]
    assert (paris["city"], paris["country"], paris["lat"], paris["lon"]) == ("Paris", "FR", 48.8566, 2.3522)
    assert paris["routers"] and paris["routers"][0]["role"] == "edge"  # one PE per PoP when the file has none
    node_names = {n["name"] for n in shown["nodes"]}
    paris_london, london_frankfurt = shown["links"]
    assert {paris_london["a"], paris_london["b"]} <= node_names
    assert paris_london["capacity_bps"] == 100_000_000_000
    assert 330 < paris_london["length_km"] < 350  # great-circle Paris-London ≈ 344 km
    assert paris_london["latency_ms"] == pytest.approx(paris_london["length_km"] * 0.005)
    assert london_frankfurt["length_km"] == 700 and london_frankfurt["latency_ms"] == pytest.approx(3.5)
    assert set(paris_london) >= {"name", "a", "b", "capacity_bps", "length_km", "latency_ms", "igp_metric", "srlgs"}


def test_import_replaces_unless_merge(cli: CliRunner, tmp_path: Path, db_url: str) -> None:
    run(cli, "network", "import", str(write(tmp_path, "small.yaml", SMALL_YAML)))
    run(cli, "network", "import", str(write(tmp_path, "other.yaml", OTHER_YAML)), "--merge")
    network, _ = snapshot(db_url)
    assert [p.name for p in network.pops] == ["Paris", "London", "Frankfurt", "Milan", "Zurich"]
    run(cli, "network", "import", str(tmp_path / "other.yaml"))
    network, _ = snapshot(db_url)
    assert [p.name for p in network.pops] == ["Milan", "Zurich"]


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_exits_2_names_file_and_line_and_changes_nothing(cli: CliRunner, tmp_path: Path,
                                                                       db_url: str, case: str) -> None:
    run(cli, "network", "import", str(write(tmp_path, "good.yaml", SMALL_YAML)))
    before = snapshot(db_url)
    text, fragment = MALFORMED[case]
    bad = write(tmp_path, f"{case}.yaml", text)
    result = cli.invoke(app, ["network", "import", str(bad)])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    message = " ".join(result.stderr.split())  # Rich wraps long lines
    assert f"{bad}:" in message.replace(" ", "") or f"{bad}:" in message
    assert fragment in message
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(db_url) == before


def test_malformed_file_json_error_names_the_file(cli: CliRunner, tmp_path: Path, db_url: str) -> None:
    bad = write(tmp_path, "bad.yaml", MALFORMED["dangling-edge"][0])
    result = cli.invoke(app, ["network", "import", str(bad), "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)
    assert str(bad) in error["error"] and "Atlantis" in json.dumps(error)
    assert snapshot(db_url)[1] == 0


def test_unknown_extension_and_missing_file_exit_2(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["network", "import", str(write(tmp_path, "net.csv", "a,b\n"))])
    assert result.exit_code == 2 and "--format" in result.stderr
    result = cli.invoke(app, ["network", "import", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2 and "absent.yaml" in result.stderr


def test_show_prints_tables(cli: CliRunner, tmp_path: Path) -> None:
    run(cli, "network", "import", str(write(tmp_path, "small.yaml", SMALL_YAML)))
    out = run(cli, "network", "show")
    assert "small: 3 PoPs" in out and "100G" in out and "3.500" in out  # London-Frankfurt: 700 km × 0.005


def test_connectis_sample_imports_with_its_rings(cli: CliRunner) -> None:
    summary = json.loads(run(cli, "network", "import", str(CONNECTIS), "--json"))
    shown = json.loads(run(cli, "network", "show", "--json"))
    assert summary["nodes"] == len(shown["nodes"]) >= 10
    names = {n["name"] for n in shown["nodes"]}
    assert {"Versailles", "Thoiry", "Villiers-le-Mahieu"} <= names
    assert all(lk["a"] in names and lk["b"] in names and lk["capacity_bps"] > 0 for lk in shown["links"])


def test_interoute_from_topology_zoo(cli: CliRunner, topology_zoo: Path) -> None:
    summary = json.loads(run(cli, "network", "import", str(topology_zoo / "Interoute.graphml"), "--json"))
    assert summary["nodes"] > 80 and summary["skipped"] and summary["merged"]
    shown = json.loads(run(cli, "network", "show", "--json"))
    assert len(shown["nodes"]) == summary["nodes"] and len(shown["links"]) == summary["links"]
    assert all(lk["capacity_bps"] > 0 and lk["length_km"] > 0 for lk in shown["links"])


def test_database_option_and_unreachable_database(tmp_path: Path) -> None:
    cli = CliRunner()
    other = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    run(cli, "network", "import", str(write(tmp_path, "small.yaml", SMALL_YAML)), "--database", other)
    assert len(json.loads(run(cli, "network", "show", "--json", "--database", other))["nodes"]) == 3
    result = cli.invoke(app, ["network", "show", "--database", "postgresql+psycopg://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 1 and "cannot open the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_reports_revisions(cli: CliRunner) -> None:
    doc = json.loads(run(cli, "db", "upgrade", "--json"))
    assert doc["revisions"]  # every head of every domain's branch


def test_export_yaml_imports_back_to_the_same_network(cli: CliRunner, tmp_path: Path, db_url: str) -> None:
    run(cli, "network", "import", str(CONNECTIS))
    exported = tmp_path / "export.yaml"
    run(cli, "network", "export", "--format", "yaml", "-o", str(exported))
    again = f"sqlite:///{tmp_path / 'again.db'}"
    run(cli, "network", "import", str(exported), "--database", again)
    assert snapshot(again)[0] == snapshot(db_url)[0]


def test_export_graphml_to_stdout_reads_back(cli: CliRunner, tmp_path: Path) -> None:
    run(cli, "network", "import", str(write(tmp_path, "small.yaml", SMALL_YAML)))
    graphml = run(cli, "network", "export", "--format", "graphml")
    assert graphml.lstrip().startswith("<?xml")
    path = write(tmp_path, "small.graphml", graphml)
    again = f"sqlite:///{tmp_path / 'again.db'}"
    summary = json.loads(run(cli, "network", "import", str(path), "--json", "--database", again))
    assert (summary["nodes"], summary["links"]) == (3, 2)
    shown = json.loads(run(cli, "network", "show", "--json", "--database", again))
    assert sorted(lk["capacity_bps"] for lk in shown["links"]) == [10 * 10**9, 100 * 10**9]


def test_export_to_an_unwritable_path_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["network", "export", "-o", str(tmp_path / "no" / "such" / "dir" / "x.yaml")])
    assert result.exit_code == 2 and "output" in result.stderr


SNDLIB_BAD = """\
?SNDlib native format; type: network; version: 1.0
NODES (
  Berlin ( 13.40 52.52 )
  Hamburg ( 10.00 53.55 )
)
LINKS (
  L1 ( Berlin Hamburg ) -40.00 0.00 0.00 0.00 ( 40.00 1.00 )
)
"""

REPETITA_BAD = """\
NODES 2
label x y
0_Paris 2.35 48.86
1_London -0.13 51.51

EDGES 2
label src dest weight bw delay
edge_0 0 7 10 10000000 1700
edge_1 1 0 10 10000000 1700
"""

GRAPHML_TRUNCATED = """\
<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key attr.name="label" attr.type="string" for="node" id="d1" />
  <graph edgedefault="undirected">
    <node id="0"><data key="d1">Paris</data></node>
    <node id="1"><data key="d1">London
"""


@pytest.mark.parametrize(("filename", "text"), [("bad.txt", SNDLIB_BAD), ("bad.graph", REPETITA_BAD),
                                                ("bad.graphml", GRAPHML_TRUNCATED)])
def test_malformed_file_in_every_format_exits_2_and_changes_nothing(cli: CliRunner, tmp_path: Path, db_url: str,
                                                                   filename: str, text: str) -> None:
    run(cli, "network", "import", str(write(tmp_path, "good.yaml", SMALL_YAML)))
    before = snapshot(db_url)
    bad = write(tmp_path, filename, text)
    result = cli.invoke(app, ["network", "import", str(bad), "--json"])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    error = json.loads(result.stdout)
    assert error["error"].startswith(f"{bad}:")  # names the file, then the line
    assert error["error"][len(str(bad)) + 1:].split(":")[0].isdigit(), error
    assert snapshot(db_url) == before


def test_serve_migrates_and_answers_on_the_given_port(tmp_path: Path) -> None:
    """`unilink serve` as `make run` starts it: a real uvicorn process on a free port."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    server = subprocess.Popen([sys.executable, "-m", "unilink.cli.main", "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--database", db],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.3)
        assert response.status_code == 200 and response.json()["status"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert snapshot(db)[1] == 0  # migrated (the database exists at every head), nothing seeded by serve


def test_serve_refuses_a_bad_port() -> None:
    result = CliRunner().invoke(app, ["serve", "--port", "70000"])
    assert result.exit_code == 2 and "70000" in result.output + result.stderr


def test_seed_if_empty_via_the_cli_then_again_changes_nothing(cli: CliRunner, db_url: str) -> None:
    steps = json.loads(run(cli, "seed", "--if-empty", "--json"))["steps"]
    assert steps[0]["step"] == "inventory" and steps[0]["outcome"].startswith("loaded the sample network")
    network, version = snapshot(db_url)
    steps = json.loads(run(cli, "seed", "--if-empty", "--json"))["steps"]
    assert steps[0]["outcome"] == "kept the existing network"
    assert snapshot(db_url) == (network, version)
    shown = json.loads(run(cli, "network", "show", "--json"))
    assert {"London", "Frankfurt", "Paris"} <= {n["name"] for n in shown["nodes"]}


def test_db_upgrade_on_an_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    not_a_db = write(tmp_path, "garbage.db", "this is not an SQLite file\n" * 100)
    result = CliRunner().invoke(app, ["db", "upgrade", "--database", f"sqlite:///{not_a_db}"])
    assert result.exit_code == 1 and "cannot open the database" in result.stderr
    assert "Traceback" not in result.stderr
