"""`unilink path` and `unilink whatif fail`: the CLI contract, on a real SQLite store with reservation rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from frozen_time import TEST_NOW
from unilink.cli.main import app
from unilink.inventory.model import Link, Network, Pop
from unilink.store.tables.services import ReservationRow
from unilink.store.tables.tenancy import Tenant

G = 10**9
START = TEST_NOW - timedelta(hours=1)  # one window for a service's rows


def diamond() -> Network:
    """A → D via B (2+2 ms, 10G: links AB, BD) or via C (3+3 ms, 10G: AC, CD); AD direct 20 ms 1G in SRLG duct-1."""
    pops = [Pop(name=n, city=n, country="FR", lat=45 + i, lon=2 + i) for i, n in enumerate("ABCD")]
    spec = [("AB", "A", "B", 2, 10 * G, ()), ("BD", "B", "D", 2, 10 * G, ("duct-1",)), ("AC", "A", "C", 3, 10 * G, ()),
            ("CD", "C", "D", 3, 10 * G, ()), ("AD", "A", "D", 20, 1 * G, ("duct-1",))]
    links = [Link(name=name, a=a, b=b, capacity_bps=cap, length_km=ms * 200.0, latency_ms=float(ms),
                  igp_metric=ms * 10, srlgs=srlgs) for name, a, b, ms, cap, srlgs in spec]
    return Network(name="diamond", pops=pops, links=links)


@pytest.fixture
def cli(store):
    store.replace_network(diamond())
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, list(args), env={"UNILINK_DATABASE_URL": str(store.engine.url)})
        run.stderr = result.stderr  # type: ignore[attr-defined]
        return result.exit_code, result.stdout

    run.store = store  # type: ignore[attr-defined]
    return run


def book(store, link: str, direction: str, bps: int, *, service: str = "eline-1", priority: int = 0) -> None:
    """A reservation row as the engine writes it: one link direction, from an hour ago, open-ended."""
    with store.session() as session:
        tenant = session.query(Tenant).filter_by(name="acme").one_or_none()
        if tenant is None:
            tenant = Tenant(name="acme", kind="enterprise", display_name="Acme", created_at=datetime.now(UTC))
            session.add(tenant)
            session.flush()
        session.add(ReservationRow(tenant_id=tenant.id, service=service, link=link, direction=direction, bps=bps,
                                   start_at=START, end_at=None,
                                   hold_expires_at=None, priority=priority))


@pytest.mark.parametrize("bandwidth", ["10G", "500M", "2.5Gbit/s", "100000000"])
def test_path_success_shape_and_exit_0(cli, bandwidth):
    code, out = cli("path", "A", "D", "--bandwidth", bandwidth, "--json")
    assert code == 0, out
    answer = json.loads(out)
    assert answer["path"] == ["A", "B", "D"] and answer["links"] == ["AB", "BD"] and answer["latency_ms"] == 4.0


def test_path_sees_the_reservations_in_the_store(cli):
    book(cli.store, "BD", "ab", 8 * G)  # B → D has 2G left
    code, out = cli("path", "A", "D", "--bandwidth", "5G", "--json")
    assert code == 0 and json.loads(out)["path"] == ["A", "C", "D"]


def test_infeasible_exits_3_with_the_bottleneck(cli):
    code, out = cli("path", "A", "D", "--bandwidth", "11G", "--json")
    assert code == 3
    answer = json.loads(out)
    assert "error" in answer and answer["reason"] == "capacity"
    assert {b["link"] for b in answer["bottleneck"]} == {"AB", "AC", "AD"}  # everything leaving A
    assert all(b["asked_bps"] == 11 * G and b["free_bps"] < 11 * G for b in answer["bottleneck"])


def test_constraints_and_exclusions(cli):
    code, out = cli("path", "A", "D", "-b", "1G", "--exclude", "B", "--json")
    assert code == 0 and json.loads(out)["path"] == ["A", "C", "D"]
    code, out = cli("path", "A", "D", "-b", "1G", "--exclude", "duct-1", "--exclude", "AC", "--json")
    assert code == 3 and json.loads(out)["reason"] == "unreachable"
    code, out = cli("path", "A", "D", "-b", "1G", "--max-hops", "1", "--json")
    assert code == 0 and json.loads(out)["links"] == ["AD"]
    code, out = cli("path", "A", "D", "-b", "1G", "--max-latency", "3ms", "--json")
    assert code == 3 and json.loads(out)["reason"] == "latency"
    code, out = cli("path", "A", "D", "-b", "1G", "--metric", "igp", "--json")
    assert code == 0 and json.loads(out)["igp_metric"] == 40


def test_disjoint_shape(cli):
    code, out = cli("path", "A", "D", "--bandwidth", "1G", "--disjoint", "--json")
    assert code == 0, out
    answer = json.loads(out)
    assert answer["paths"] == [["A", "B", "D"], ["A", "C", "D"]] and answer["latency_ms"] == [4.0, 6.0]


@pytest.mark.parametrize(("args", "field"), [
    (["path", "A", "Atlantis", "--bandwidth", "1G"], "DST"),
    (["path", "A", "D", "--bandwidth", "ten gigs"], "--bandwidth"),
    (["path", "A", "D", "--bandwidth", "0"], "--bandwidth"),
    (["path", "A", "D", "--bandwidth", "1G", "--metric", "hops"], "--metric"),
    (["path", "A", "D", "--bandwidth", "1G", "--exclude", "nowhere"], "--exclude"),
])
def test_bad_input_exits_2_naming_the_field(cli, args, field):
    code, out = cli(*args, "--json")
    assert code == 2
    answer = json.loads(out)
    assert answer["field"] == field and answer["error"]


def test_bad_input_without_json_is_a_message_not_a_traceback(cli):
    code, out = cli("path", "A", "Atlantis", "--bandwidth", "1G")
    assert code == 2 and "Traceback" not in out


def test_whatif_fail_link_restores_store_reservations_by_detour(cli):
    for link, direction in (("AB", "ab"), ("BD", "ab"), ("BD", "ba"), ("AB", "ba")):
        book(cli.store, link, direction, 3 * G)
    book(cli.store, "AD", "ab", G, service="internet-1", priority=5)
    code, out = cli("whatif", "fail", "BD", "--json")
    assert code == 0, out
    answer = json.loads(out)
    assert answer["failed"]["links"] == ["BD"] and answer["affected"] == 2
    (restored,) = answer["restored"]
    assert restored["service"] == "acme/eline-1" and "CD" in restored["new_links"]
    assert answer["unrestorable"] == [] and answer["reservations_in_ledger"] == 5
    code, out = cli("whatif", "fail", "duct-1", "--json")  # the SRLG takes BD and AD down together
    answer = json.loads(out)
    assert code == 0 and set(answer["failed"]["links"]) == {"BD", "AD"} and answer["affected"] == 3


def test_whatif_unknown_target_exits_2(cli):
    code, out = cli("whatif", "fail", "Atlantis", "--json")
    assert code == 2 and json.loads(out)["field"] == "TARGET"


def test_whatif_counts_services_so_the_figures_add_up(cli):
    book(cli.store, "BD", "ab", 3 * G, service="eline-1")
    book(cli.store, "AD", "ab", G // 2, service="eline-2")
    code, out = cli("whatif", "fail", "duct-1")  # BD and AD together: eline-1 detours via C, eline-2 too
    assert code == 0, out
    assert "2 services hit: 2 re-routed, 0 cannot be (2 reservations)" in " ".join(out.split())


def test_a_mistyped_target_gets_a_did_you_mean(cli):
    code, _ = cli("whatif", "fail", "duct1")
    assert code == 2
    assert "did you mean 'duct-1'?" in " ".join(cli.stderr.split())


def test_a_refusal_speaks_in_bandwidth_units_not_raw_bit_per_s(cli):
    code, _ = cli("path", "A", "D", "--bandwidth", "900G")
    assert code == 3
    text = " ".join(cli.stderr.split())
    assert "900 Gbit/s free" in text and "900000000000" not in text
