"""The change commands with `--api URL` against a real uvicorn server print what they print locally.

Two copies of one seeded database: the CLI works on copy A locally and, through a server on copy B,
remotely; the same sequence of commands must give the same output and exit codes in both modes
(plan ids, random by design, the time stamped "now", and who/when in the history are the only
differences allowed).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from seeded_template import make_seeded_template
from unilink.api.app import create_app
from unilink.cli.main import app
from unilink.store.db import Store

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PLAN_ID = re.compile(r"p-\d{8,14}-[0-9a-f]+")
NOW = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00")  # "now" as the engine stamps it


def normal(output: str) -> str:
    """Plan ids are random and "now" moves between the two runs: nothing else may differ."""
    return NOW.sub("<now>", PLAN_ID.sub("<plan>", output))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("remote-cli") / "seeded.db"
    return path, make_seeded_template(path, {"op": ("operator-admin", None),
                                             "acme": ("tenant-admin", "acme-logistics")})


@dataclass
class Twins:
    local: CliRunner
    remote: CliRunner
    tokens: dict[str, str]
    api: str

    def both(self, *args: str, token: str = "op") -> tuple[tuple[int, str], tuple[int, str]]:
        local = self.local.invoke(app, list(args))
        remote = self.remote.invoke(app, list(args), env={"UNILINK_TOKEN": self.tokens[token]})
        assert "Traceback" not in local.output + remote.output
        return (local.exit_code, local.output), (remote.exit_code, remote.output)

    def same(self, *args: str, token: str = "op") -> tuple[int, str]:
        """Run in both modes; assert the same exit code and output (plan ids aside); return the local one."""
        (lcode, lout), (rcode, rout) = self.both(*args, token=token)
        assert (rcode, normal(rout)) == (lcode, normal(lout)), args
        return lcode, lout


def _serve(store: Store) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(store, rate_limit="off", deliver_webhooks=False),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def twins(template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[Twins]:
    seeded, tokens = template
    local_db, served_db = tmp_path / "local.db", tmp_path / "served.db"
    shutil.copyfile(seeded, local_db)
    shutil.copyfile(seeded, served_db)
    store = Store.open(f"sqlite:///{served_db}", migrate=False)
    config_home = tmp_path / "config"  # no user config file leaks in
    try:
        for base in _serve(store):
            yield Twins(
                local=CliRunner(env={"UNILINK_DATABASE_URL": f"sqlite:///{local_db}", "UNILINK_API": None,
                                     "XDG_CONFIG_HOME": str(config_home), "COLUMNS": "200"}),
                remote=CliRunner(env={"UNILINK_API": base, "UNILINK_DATABASE_URL": f"sqlite:///{tmp_path}/absent.db",
                                      "XDG_CONFIG_HOME": str(config_home), "COLUMNS": "200"}),
                tokens=tokens, api=base)
    finally:
        store.close()


def plan_id(output: str) -> str:
    found = PLAN_ID.search(output)
    assert found is not None, output
    return found.group(0)


def test_a_change_goes_the_same_way_locally_and_remotely(twins: Twins) -> None:
    example = str(EXAMPLES / "acme-rate-down.yaml")
    code, out = twins.same("plan", "-f", example, "--json")
    assert code == 0 and not json.loads(out)["empty"]
    assert all("diff" in d and "added" in d for d in json.loads(out)["devices"].values())
    twins.same("plan", "-f", example)
    twins.same("plan", "-f", example, "--devices")
    # apply in each mode the plan made in that mode
    (_, lout), (_, rout) = twins.both("plan", "-f", example, "--json")
    local = twins.local.invoke(app, ["apply", plan_id(lout), "--reason", "activity dropped"])
    remote = twins.remote.invoke(app, ["apply", plan_id(rout), "--reason", "activity dropped"],
                                 env={"UNILINK_TOKEN": twins.tokens["op"]})
    assert local.exit_code == remote.exit_code == 0
    assert normal(remote.output) == normal(local.output)
    assert "applied" in local.output and "revision" in local.output
    twins.same("status", "--tenant", "acme-logistics")
    twins.same("status", "--tenant", "acme-logistics", "--json")
    twins.same("status", "--json")  # every tenant
    mine = twins.remote.invoke(app, ["status", "--json"], env={"UNILINK_TOKEN": twins.tokens["acme"]})
    assert [s["tenant"] for s in json.loads(mine.output)] == ["acme-logistics"]  # a tenant token sees its own
    twins.same("orders", "--json")
    twins.same("orders", "--open")
    # the history: the same entries; who and when differ by nature (the token's subject, the clock)
    (lcode, lout), (rcode, rout) = twins.both("history", "--tenant", "acme-logistics", "--json")
    assert lcode == rcode == 0

    def what(rows: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k not in ("at", "actor", "plan_id")} for row in json.loads(rows)]
    assert what(rout) == what(lout) and what(lout)[0]["reason"] == "activity dropped"
    code, out = twins.same("revert", "1", "--tenant", "acme-logistics", "--json")
    assert code == 0 and "modify ipvpn corp" in json.loads(out)["summary"][0]
    twins.same("revert", "1", "--tenant", "acme-logistics")


def test_refusals_have_the_same_messages_and_exit_codes(twins: Twins, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "acme-rate-up.yaml").read_text().replace("rate: 900M", "rate: 5G"))
    code, out = twins.same("plan", "-f", str(bad))
    assert code == 2 and "services[1].members[7].rate" in out
    # not found: the same error and field; the hint names the interface the caller used (the server
    # says "the id returned by POST /plans", the local engine "the id printed by `unilink plan`")
    for args in (("apply", "p-20260101000000-deadbeef"), ("revert", "99", "--tenant", "acme-logistics")):
        (lcode, lout), (rcode, rout) = twins.both(*args)
        assert lcode == rcode == 2 and lout.split("(accepted")[0] == rout.split("(accepted")[0], (lout, rout)
    # a stale plan: two plans on the same state, the second applied after the first
    up, down = str(EXAMPLES / "acme-rate-up.yaml"), str(EXAMPLES / "acme-rate-down.yaml")
    ids = {}
    for mode, runner in (("local", twins.local), ("remote", twins.remote)):
        env = {"UNILINK_TOKEN": twins.tokens["op"]} if mode == "remote" else {}
        first = plan_id(runner.invoke(app, ["plan", "-f", up, "--json"], env=env).output)
        second = plan_id(runner.invoke(app, ["plan", "-f", down, "--json"], env=env).output)
        assert runner.invoke(app, ["apply", first], env=env).exit_code == 0
        ids[mode] = second
    local = twins.local.invoke(app, ["apply", ids["local"]])
    remote = twins.remote.invoke(app, ["apply", ids["remote"]], env={"UNILINK_TOKEN": twins.tokens["op"]})
    assert local.exit_code == remote.exit_code == 4 and "stale" in remote.output
    assert normal(remote.output) == normal(local.output)


def test_remote_mode_without_a_token_or_with_a_dead_server_is_a_clear_error(twins: Twins) -> None:
    no_token = twins.remote.invoke(app, ["status", "--json"], env={"UNILINK_TOKEN": None})
    assert no_token.exit_code == 2 and "UNILINK_TOKEN" in no_token.output and "Traceback" not in no_token.output
    dead = twins.remote.invoke(app, ["history", "--api", "http://127.0.0.1:9"], env={"UNILINK_TOKEN": "ul_x"})
    assert dead.exit_code != 0 and "cannot reach the server" in dead.output and "Traceback" not in dead.output
