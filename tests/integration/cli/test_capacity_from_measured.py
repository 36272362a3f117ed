"""`unilink capacity scenario --from-measured` (and `traffic.model: measured`): the traffic matrix of the
network's busy hour as the sites measured it. Site hq at Paris; the scenario's content comes from
London. Two days: the busy hour of day 2 (14:00, 90 Mbit/s down, 20 up) is the network's; the matrix is
then London→Paris 90 Mbit/s and Paris→London 20 Mbit/s: 110 Mbit/s in all (worked by hand)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from unilink.cli.main import app
from unilink.clock import FrozenClock
from unilink.store.db import Store
from usage_samples import deployed_store, write_rates

M = 10**6
DAY1 = datetime(2026, 11, 29, tzinfo=UTC)


def _measured_db(tmp_path: Path, frozen_clock: FrozenClock) -> str:
    frozen_clock.set(datetime(2026, 12, 1, 2, 30, tzinfo=UTC))
    url = f"sqlite:///{tmp_path / 'unilink.db'}"
    store = Store.open(url)
    try:
        deployed_store(store)
        down = [(80 if i // 12 == 14 else 10) * M for i in range(288)] + \
               [(90 if i // 12 == 14 else 10) * M for i in range(288)]
        up = [(20 if (i % 288) // 12 == 14 else 5) * M for i in range(576)]
        write_rates(store, tenant="acme", site="hq", start=DAY1, down_bps=down, up_bps=up)
    finally:
        store.close()
    return url


def _run(url: str, scenario: Path, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["capacity", "scenario", str(scenario), "--database", url, "--json",
                                      "--no-failures", "--no-upgrades", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_scenario_starts_from_the_measured_busy_hour(tmp_path: Path, frozen_clock: FrozenClock) -> None:
    url = _measured_db(tmp_path, frozen_clock)
    measured = tmp_path / "measured.yaml"
    measured.write_text("name: measured\ntraffic:\n  model: measured\n  sources:\n    by_pop: {London: 1}\n")
    report = _run(url, measured)
    assert report["measured_busy_hour"] == "2026-11-30T14:00:00Z" and report["measured_sites"] == 1
    assert report["total_demand_bps"] == 110 * M
    # the flag on a gravity scenario: its subscribers are set aside, the measured traffic is used
    gravity = tmp_path / "gravity.yaml"
    gravity.write_text("name: homes\naccess_mix:\n  - {technology: ftth, rate: 1G, share: 1.0, busy_hour: 4M}\n"
                       "subscribers:\n  by_pop: {Paris: 100000}\ntraffic:\n  sources:\n    by_pop: {London: 1}\n")
    assert _run(url, gravity)["total_demand_bps"] == 100000 * 4 * M
    flagged = _run(url, gravity, "--from-measured", "--years", "1")
    assert flagged["total_demand_bps"] == 110 * M      # the gravity file has no growth: a year changes nothing


def test_nothing_measured_is_a_clear_error(tmp_path: Path, frozen_clock: FrozenClock) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    store = Store.open(url)
    try:
        deployed_store(store)
    finally:
        store.close()
    scenario = tmp_path / "measured.yaml"
    scenario.write_text("name: measured\ntraffic:\n  model: measured\n")
    result = CliRunner().invoke(app, ["capacity", "scenario", str(scenario), "--database", url, "--json"])
    assert result.exit_code != 0 and "--from-measured" in result.output
