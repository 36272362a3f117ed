"""`unilink invoice issue|list|show|csv|xml|credit` on acme's November (billing_world.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from billing_world import NOVEMBER_NET, NOVEMBER_TOTAL, build_november
from facturx import xml_check_xsd
from typer.testing import CliRunner

from unilink.cli.main import app
from unilink.clock import FrozenClock
from unilink.store.db import Store

NOW = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


def test_the_invoice_commands(tmp_path: Path, frozen_clock: FrozenClock) -> None:
    url = f"sqlite:///{tmp_path / 'unilink.db'}"
    with Store.open(url) as store:
        build_november(store, frozen_clock)
    frozen_clock.set(NOW)
    run = CliRunner().invoke
    db = ["--database", url]

    dry = run(app, ["invoice", "issue", "--tenant", "acme", "--month", "2026-11", "--dry-run", "--json", *db])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["total_cents"] == NOVEMBER_TOTAL
    assert json.loads(run(app, ["invoice", "list", "--json", *db]).output) == []   # the dry run issued nothing

    issued = run(app, ["invoice", "issue", "--tenant", "acme", "--month", "2026-11", *db])
    assert issued.exit_code == 0, issued.output
    assert "invoice UL-000001 — acme, 2026-11" in issued.output and "total €1,846.31" in issued.output
    again = run(app, ["invoice", "issue", "--tenant", "acme", "--month", "2026-11", *db])
    assert again.exit_code == 4 and "invoiced already" in again.output
    bad = run(app, ["invoice", "issue", "--tenant", "acme", "--month", "2026-13", *db])
    assert bad.exit_code == 2 and "month" in bad.output and "YYYY-MM" in bad.output

    shown = json.loads(run(app, ["invoice", "show", "UL-000001", "--json", *db]).output)
    assert shown["net_cents"] == NOVEMBER_NET and sum(ln["cents"] for ln in shown["lines"]) == NOVEMBER_NET
    csv_text = run(app, ["invoice", "csv", "UL-000001", *db]).output
    assert csv_text.splitlines()[0] == "number,position,kind,item,quantity,unit,amount_eur"
    assert csv_text.splitlines()[-1] == "UL-000001,,total,,,,1846.31"
    out = tmp_path / "UL-000001.xml"
    assert run(app, ["invoice", "xml", "UL-000001", "-o", str(out), *db]).exit_code == 0
    assert xml_check_xsd(out.read_bytes(), flavor="factur-x", level="en16931") is True

    note = run(app, ["invoice", "credit", "UL-000001", "--reason", "outage", "--amount", "100.00", "--json", *db])
    assert note.exit_code == 0, note.output
    assert (json.loads(note.output)["number"], json.loads(note.output)["total_cents"]) == ("UL-000002", 12_000)
    wrong = run(app, ["invoice", "credit", "UL-000001", "--reason", "x", "--amount", "1.234", *db])
    assert wrong.exit_code == 2 and "--amount" in wrong.output
    listed = run(app, ["invoice", "list", *db]).output
    assert "UL-000002  credit" in listed and "corrects UL-000001" in listed
    unknown = run(app, ["invoice", "show", "UL-000099", *db])
    assert unknown.exit_code == 2 and "no such invoice" in unknown.output
