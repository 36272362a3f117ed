"""docs/members.md's example runs as written: each `unilink` line of its shell block, in order, on a
scratch database, printing what the page says it prints."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from unilink.cli.main import app

DOC = Path(__file__).parents[3] / "docs" / "members.md"


def _commands() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("## An example that runs", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [shlex.split(line)[1:] for line in block.splitlines() if line.startswith("unilink ")]


def test_the_members_example_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"UNILINK_DATABASE_URL": f"sqlite:///{tmp_path / 'members-demo.db'}", "COLUMNS": "200"}
    out: dict[str, str] = {}
    commands = _commands()
    assert len(commands) == 15 and commands[0] == ["seed"]
    for args in commands:
        result = runner.invoke(app, args, env=env)
        key = " ".join(args[2:4]) if args[0] == "coop" else args[0]
        refused = args[-1] == "platinum"
        assert result.exit_code == (2 if refused else 0), (args, result.output)
        out[key + (" refused" if refused else "")] = " ".join(result.output.split())
    assert re.search(r"subscription 1 active: 100M/50M, addresses 192\.0\.2\.1, 2001:db8:78::/56; plan p-\S+ "
                     r"applied on houdan-pe1", out["activate coop-mahieu"])
    assert "subscription 1 suspended: 256k/256k" in out["suspend coop-mahieu"]
    assert "subscription 1 active: 100M/50M" in out["resume coop-mahieu"]
    assert "subscription 1 active: 300M/100M" in out["change-plan coop-mahieu"]
    assert "error: plan: no such plan (accepted: basic, plus)" in out["change-plan coop-mahieu refused"]
    assert "subscription 1 ended: not shaped, addresses none" in out["end coop-mahieu"]
    assert "ended" in out["list coop-mahieu"]
