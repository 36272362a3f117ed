"""Issue 11 item 6 (CLI): `unilink intent export` writes the intent with its `base_version`; a plan of
that file is refused (exit 4) once a colleague wrote a newer version, instead of undoing it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from seeded_template import make_seeded_template
from unilink.cli.main import app

runner = CliRunner()
TENANT = "acme-logistics"


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


def export(db: str, path: Path) -> dict:
    code, out = cli(db, "intent", "export", "--tenant", TENANT, "-o", str(path))
    assert code == 0, out
    return yaml.safe_load(path.read_text())


def add_service(path: Path, name: str, site: str) -> None:
    doc = yaml.safe_load(path.read_text())
    doc["services"].append({"kind": "internet", "name": name, "site": site, "rate": "20M"})
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def plan(db: str, path: Path) -> tuple[int, str]:
    return cli(db, "plan", "-f", str(path), "--json")


def test_export_is_a_safe_starting_point_and_an_older_base_is_refused(db: str, tmp_path: Path) -> None:
    alice, bob = tmp_path / "alice.yaml", tmp_path / "bob.yaml"
    doc = export(db, alice)
    export(db, bob)
    assert doc["tenant"] == TENANT and doc["base_version"] >= 1
    assert alice.read_text().startswith("# intent of tenant acme-logistics, version")
    code, out = plan(db, alice)
    assert code == 0 and json.loads(out)["empty"], out  # the export is exactly what is there
    add_service(alice, "alice-net", "milan-office")
    add_service(bob, "bob-net", "madrid-depot")
    code, out = plan(db, alice)
    assert code == 0, out
    assert cli(db, "apply", json.loads(out)["id"])[0] == 0
    code, out = plan(db, bob)
    assert code == 4, out
    assert f"version {doc['base_version'] + 1} was written" in out
    code, out = cli(db, "status", "--tenant", TENANT, "--json")
    assert "alice-net" in {s["name"] for s in json.loads(out)["deployed"]["services"]}
    export(db, bob)  # read again, redo the change: accepted
    add_service(bob, "bob-net", "madrid-depot")
    assert plan(db, bob)[0] == 0


def test_stdout_export_and_a_file_without_base_version_still_plans(db: str, tmp_path: Path) -> None:
    code, out = cli(db, "intent", "export", "--tenant", TENANT)
    assert code == 0 and "base_version:" in out
    doc = yaml.safe_load(out)
    del doc["base_version"]
    path = tmp_path / "old-style.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert plan(db, path)[0] == 0


def test_apply_of_a_removal_needs_confirm_removals(db: str, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    doc = export(db, path)
    doc["services"] = [s for s in doc["services"] if s["name"] != "paris-hq-internet"]
    path.write_text(yaml.safe_dump(doc))
    code, out = cli(db, "plan", "-f", str(path))
    assert code == 0 and "REMOVES live internet paris-hq-internet" in out and "--confirm-removals" in out, out
    plan_id = json.loads(plan(db, path)[1])["id"]
    code, out = cli(db, "apply", plan_id)
    assert code == 2 and "confirm_removals" in out
    assert cli(db, "apply", plan_id, "--confirm-removals")[0] == 0
