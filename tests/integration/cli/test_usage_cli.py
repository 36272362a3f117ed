"""`unilink usage collect --once`: a baseline, then rates, on the seeded demo (frozen clock)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from seeded_template import make_seeded_template
from unilink.cli.main import app
from unilink.clock import FrozenClock


def first_readings(output: str) -> int:
    return int(json.loads(output)["readings"])


def test_collect_once_takes_a_baseline_then_writes_rates(tmp_path: Path, frozen_clock: FrozenClock) -> None:
    make_seeded_template(tmp_path / "unilink.db", {})
    url = f"sqlite:///{tmp_path / 'unilink.db'}"
    runner = CliRunner()
    args = ["usage", "collect", "--once", "--source", "sim", "--database", url, "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["deltas"] == 0, "a new process's first cycle is a baseline"
    # one process per cycle (cron): the next one goes on from the readings the store kept
    frozen_clock.advance(timedelta(seconds=300))
    again = json.loads(runner.invoke(app, args).output)
    assert again["deltas"] == again["readings"] == first_readings(first.output) > 0
    assert again["samples"] >= 3 * again["deltas"] and again["flagged"] == 0


def test_a_bad_interval_and_an_unknown_source_are_clear_errors(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unilink.db'}"
    runner = CliRunner()
    bad = runner.invoke(app, ["usage", "collect", "--once", "--interval", "0", "--database", url])
    assert bad.exit_code != 0 and "--interval" in bad.output
    unknown = runner.invoke(app, ["usage", "collect", "--once", "--source", "snmp", "--database", url])
    assert unknown.exit_code != 0 and "UNILINK_USAGE_SOURCE" in unknown.output
