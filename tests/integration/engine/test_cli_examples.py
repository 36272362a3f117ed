"""The CLI on the seeded demo: every example file planned, applied, and the exit codes of refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seeded_template import make_seeded_template
from unilink.cli.main import app
from unilink.clock import FrozenClock

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
runner = CliRunner()


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "unilink.db"
    make_seeded_template(path, users={})  # seeded, its WAL folded in: a plain copy carries everything
    return path


@pytest.fixture
def db(seeded_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "unilink.db"
    shutil.copy(seeded_file, copy)
    return f"sqlite:///{copy}"


def cli(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--database", db])
    return result.exit_code, result.output


def plan_json(db: str, example: str, *extra: str) -> dict:
    code, out = cli(db, "plan", "-f", str(EXAMPLES / f"{example}.yaml"), "--json", *extra)
    assert code == 0, out
    return json.loads(out)


def test_seeded_intent_needs_no_change(db: str) -> None:
    assert plan_json(db, "acme-logistics")["empty"]


@pytest.mark.parametrize(("example", "expected"), [
    ("acme-rate-down", {"modify ipvpn corp", "modify internet paris-hq-internet"}),
    ("acme-rate-up", {"modify ipvpn corp"}),
    ("acme-vpn-move", {"modify ipvpn corp", "add ipvpn east-ops"}),
    ("acme-internet-vpn", {"modify ipvpn corp", "add internet madrid-internet", "add internet milan-internet"}),
    ("acme-eline", {"add eline dc-replication"}),
    ("acme-boost", {"add boost boost corp@london-hub"}),
    ("acme-schedule", {"add schedule schedule nightly-backup"}),
])
def test_each_example_plans_and_applies(db: str, example: str, expected: set[str]) -> None:
    content = plan_json(db, example)  # at the tests' frozen 02:30 UTC: inside acme-schedule's 01:00-05:00 window
    assert {line.split(":")[0] for line in content["summary"]} == expected
    if example == "acme-schedule":  # the window is open: lyon-warehouse runs at the window's rate now
        # tonight's window, in force, and the seven of the week ahead
        assert len([b for b in content["bookings"] if b["key"].startswith("sched:nightly-backup")]) == 8
        assert [r for r, d in content["devices"].items() if d["diff"]] == ["lyon-pe1"]
        assert "450000000" in content["devices"]["lyon-pe1"]["diff"]  # the window's rate on the router
    else:
        assert any(d["diff"] for d in content["devices"].values())
    confirm: tuple[str, ...] = ()
    if content["removals"]:  # the VPN moves take sites out of corp: refused until confirmed
        assert {r["kind"] for r in content["removals"]} == {"vpn-member"}
        code, out = cli(db, "apply", content["id"])
        assert code == 2 and "confirm_removals" in out and "--confirm-removals" in out, out
        confirm = ("--confirm-removals",)
    code, out = cli(db, "apply", content["id"], "--reason", f"example {example}", *confirm)
    assert code == 0, out
    assert plan_json(db, example)["empty"]  # applied: nothing left to do


def test_schedule_example_by_day_changes_no_router(db: str, frozen_clock: FrozenClock) -> None:
    """Outside the window nothing changes on the routers until it opens; the windows are booked."""
    frozen_clock.set(frozen_clock.now().replace(hour=12))
    content = plan_json(db, "acme-schedule")
    assert not any(d["diff"] for d in content["devices"].values())
    assert len([b for b in content["bookings"] if b["key"].startswith("sched:nightly-backup")]) == 7


def test_field_work_example_raises_orders(db: str) -> None:
    content = plan_json(db, "acme-field-work")
    assert {o["kind"] for o in content["new_orders"]} == {"new-access", "technology-change"}
    code, out = cli(db, "apply", content["id"])
    assert code == 0, out
    code, out = cli(db, "orders", "--json")
    orders = {o["site"]: o["id"] for o in json.loads(out)}
    assert set(orders) == {"brussels-office", "munich-office"}
    assert cli(db, "orders", "complete", orders["brussels-office"])[0] == 4  # not started: a conflict
    assert cli(db, "orders", "start", orders["brussels-office"])[0] == 0
    code, out = cli(db, "orders", "complete", orders["brussels-office"], "--json")
    assert code == 0 and json.loads(out)["applied"]["tenant"] == "acme-logistics"
    code, out = cli(db, "status", "--tenant", "acme-logistics", "--json")
    assert "brussels-office" in {s["name"] for s in json.loads(out)["deployed"]["sites"]}
    code, out = cli(db, "scheduler", "run-once", "--json")
    assert code == 0 and json.loads(out) == []


def test_backup_example_orders_the_line_then_configures_it(db: str) -> None:
    content = plan_json(db, "acme-backup")
    assert [(o["site"], o["kind"]) for o in content["new_orders"]] == [("milan-office:backup", "new-backup")]
    assert any("backup milan-office" in line["item"] for line in content["price"]["lines"])
    assert content["price"]["one_off_cents"] > 0
    assert not any(d["diff"] for d in content["devices"].values())  # nothing on the routers before the line
    assert cli(db, "apply", content["id"])[0] == 0
    order = next(o["id"] for o in json.loads(cli(db, "orders", "--json")[1]) if o["site"] == "milan-office:backup")
    assert cli(db, "orders", "start", order)[0] == 0
    code, out = cli(db, "orders", "complete", order, "--json")
    assert code == 0 and "milan-pe1" in json.loads(out)["applied"]["routers"]
    deployed = json.loads(cli(db, "status", "--tenant", "acme-logistics", "--json")[1])["deployed"]
    milan = next(s for s in deployed["sites"] if s["name"] == "milan-office")
    assert milan["backup"]["technology"] == "5g"
    assert plan_json(db, "acme-backup")["empty"]


def test_refusals_exit_codes(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "acme-rate-up.yaml").read_text().replace("rate: 900M", "rate: 5G"))
    code, out = cli(db, "plan", "-f", str(bad))
    assert code == 2 and "services[1].members[7].rate" in out and "Traceback" not in out
    first, second = plan_json(db, "acme-rate-up"), plan_json(db, "acme-rate-down")
    assert cli(db, "apply", first["id"])[0] == 0
    code, out = cli(db, "apply", second["id"])
    assert code == 4 and "stale" in out
    assert cli(db, "apply", "p-nonexistent")[0] == 2


def test_status_history_revert(db: str) -> None:
    content = plan_json(db, "acme-rate-down")
    cli(db, "apply", content["id"], "--reason", "activity dropped")
    code, out = cli(db, "history", "--tenant", "acme-logistics", "--json")
    assert code == 0 and json.loads(out)[0]["reason"] == "activity dropped"
    code, out = cli(db, "revert", "1", "--tenant", "acme-logistics", "--json")
    reverted = json.loads(out)
    assert code == 0 and "modify ipvpn corp" in reverted["summary"][0]
    assert cli(db, "apply", reverted["id"])[0] == 0
    code, out = cli(db, "status", "--tenant", "acme-logistics")
    assert code == 0 and "lyon-warehouse 250M" in out


def test_slow_steps_show_a_spinner_on_a_terminal_and_nothing_in_json(db: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress goes to stderr, and only when stderr is a terminal and the output is not JSON."""
    import io

    from rich.console import Console

    from unilink.cli import common

    screen = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=screen, force_terminal=True, width=100))
    code, _ = cli(db, "plan", "-f", str(EXAMPLES / "acme-rate-up.yaml"))
    assert code == 0 and "planning: checking, admission, price, router diffs" in screen.getvalue()
    screen.truncate(0)
    code, out = cli(db, "plan", "-f", str(EXAMPLES / "acme-rate-up.yaml"), "--json")
    assert code == 0 and json.loads(out)["id"] and screen.getvalue() == ""
    monkeypatch.setattr(common, "err_console", Console(file=screen, force_terminal=False))
    assert cli(db, "plan", "-f", str(EXAMPLES / "acme-rate-up.yaml"))[0] == 0
    assert screen.getvalue() == "", "not a terminal: no spinner"
