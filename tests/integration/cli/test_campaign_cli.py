"""Issue 13: `unilink coop campaign …` and `unilink mail …` on a seeded database — the operator's shell
over the same use cases as the API and the portal (usecases.campaigns)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from seeded_template import make_seeded_template
from unilink.cli.main import app

runner = CliRunner()
CAMPAIGN = "villages-mahieu"  # the seed's sample campaign (usecases/campaign_seed.py)


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "unilink.db"
    make_seeded_template(path, users={})
    return path


@pytest.fixture
def db(seeded_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "unilink.db"
    shutil.copy(seeded_file, copy)
    return f"sqlite:///{copy}"


def cli(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--database", db])
    return result.exit_code, result.output


def cli_json(db: str, *args: str) -> dict | list:
    code, out = cli(db, *args, "--json")
    assert code == 0, out
    return json.loads(out)


def test_the_seeded_campaign_is_listed_and_shown(db: str) -> None:
    rows = cli_json(db, "coop", "campaign", "list")
    assert [r["name"] for r in rows] == [CAMPAIGN]
    view = cli_json(db, "coop", "campaign", "show", CAMPAIGN)
    assert view["tenant"] == "coop-mahieu"
    thoiry = next(z for z in view["zones"] if z["commune"] == "Thoiry")
    assert thoiry["homes_passed"] == 520 and "INSEE" in thoiry["homes_source"]
    code, out = cli(db, "coop", "campaign", "ledger", CAMPAIGN)
    assert code == 0 and "refund rule" in out


def test_a_corrected_count_changes_the_target_and_is_kept(db: str) -> None:
    view = cli_json(db, "coop", "campaign", "zone", CAMPAIGN, "thoiry", "--homes", "540",
                    "--source", "mairie de Thoiry, 2026 count", "--target-share", "0.5")
    thoiry = next(z for z in view["zones"] if z["name"] == "thoiry")
    assert (thoiry["homes_passed"], thoiry["target_subscribers"]) == (540, 270)
    again = cli_json(db, "coop", "campaign", "show", CAMPAIGN)
    assert next(z for z in again["zones"] if z["name"] == "thoiry")["homes_source"] == "mairie de Thoiry, 2026 count"


def test_bad_input_is_exit_2_naming_the_field_and_changes_nothing(db: str, tmp_path: Path) -> None:
    before = cli_json(db, "coop", "campaign", "show", CAMPAIGN)
    code, out = cli(db, "coop", "campaign", "zone", CAMPAIGN, "thoiry", "--homes", "-3", "--source", "typo", "--json")
    assert code == 2, out
    assert "homes_passed" in json.loads(out)["field"]
    code, out = cli(db, "coop", "campaign", "extend", CAMPAIGN, "--until", "2020-01-01T00:00:00Z", "--json")
    assert code in (2, 4), out
    assert cli_json(db, "coop", "campaign", "show", CAMPAIGN) == before
    spec = tmp_path / "campaign.yaml"
    spec.write_text("name: [unclosed\n")
    code, out = cli(db, "coop", "campaign", "open", "-f", str(spec))
    assert code == 2 and "campaign.yaml" in out


def test_a_campaign_opened_from_a_file_is_there(db: str, tmp_path: Path) -> None:
    spec = {"name": "marcq-2027", "tenant": "coop-mahieu", "title": "Marcq", "deadline": "2027-06-01T00:00:00Z",
            "plans": [{"name": "fibre-300", "down_bps": 300_000_000, "up_bps": 100_000_000, "monthly_cents": 2900}],
            "zones": [{"name": "marcq", "commune": "Marcq", "homes_passed": 320, "homes_source": "test count",
                       "target": {"subscribers": 40}, "build_cost_cents": 14_000_000}]}
    path = tmp_path / "campaign.yaml"
    path.write_text(yaml.safe_dump(spec))
    view = cli_json(db, "coop", "campaign", "open", "-f", str(path))
    assert view["name"] == "marcq-2027" and view["zones"][0]["target_subscribers"] == 40
    assert {r["name"] for r in cli_json(db, "coop", "campaign", "list")} == {CAMPAIGN, "marcq-2027"}


def test_pledges_export_as_csv_with_the_residents_details(db: str) -> None:
    code, out = cli(db, "coop", "campaign", "pledges", CAMPAIGN)
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    view = cli_json(db, "coop", "campaign", "show", CAMPAIGN)
    assert len(rows) == sum(z["confirmed"] + z["unconfirmed"] for z in view["zones"])
    assert all(r["email"].endswith("@example.org") for r in rows)


def test_mail_outbox_lists_and_delivers_nothing_without_smtp(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UNILINK_SMTP_HOST", raising=False)
    assert cli_json(db, "mail", "list") == []
    assert cli_json(db, "mail", "deliver") == {"sent": 0}
