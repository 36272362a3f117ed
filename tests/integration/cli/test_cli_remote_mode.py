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
from sqlalchemy import select
from typer.testing import CliRunner

from seeded_template import make_seeded_template
from unilink.api.app import create_app
from unilink.cli.main import app
from unilink.store.db import Store
from unilink.store.tables.auth import EventRow

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


ORDER_ID = re.compile(r"o-\d{8}-[0-9a-f]{8}")


def _raise_orders(twins: Twins) -> dict[str, dict[str, str]]:
    """Apply the field-work example in each mode; per mode, the open orders' ids by site (ids are random)."""
    example = str(EXAMPLES / "acme-field-work.yaml")
    ids = {}
    for mode, runner, env in (("local", twins.local, {}),
                              ("remote", twins.remote, {"UNILINK_TOKEN": twins.tokens["op"]})):
        planned = runner.invoke(app, ["plan", "-f", example, "--json"], env=env)
        assert runner.invoke(app, ["apply", plan_id(planned.output)], env=env).exit_code == 0
        listed = json.loads(runner.invoke(app, ["orders", "--open", "--json"], env=env).output)
        ids[mode] = {order["site"]: order["id"] for order in listed}
    assert ids["local"].keys() == ids["remote"].keys() and len(ids["local"]) >= 2
    return ids


def _same_order_command(twins: Twins, ids: dict[str, dict[str, str]], site: str, *args: str,
                        token: str = "op") -> tuple[int, str]:
    """`unilink orders <args with ID>` in both modes on the same site's order: same exit code and output."""
    def command(order_id: str) -> list[str]:
        return ["orders", *(order_id if a == "ID" else a for a in args)]
    local = twins.local.invoke(app, command(ids["local"][site]))
    remote = twins.remote.invoke(app, command(ids["remote"][site]), env={"UNILINK_TOKEN": twins.tokens[token]})
    assert "Traceback" not in local.output + remote.output

    def norm(out: str) -> str:
        return normal(ORDER_ID.sub("<order>", out))
    assert (remote.exit_code, norm(remote.output)) == (local.exit_code, norm(local.output)), args
    return local.exit_code, local.output


def test_order_commands_go_the_same_way_locally_and_remotely(twins: Twins) -> None:
    ids = _raise_orders(twins)
    first, second = sorted(ids["local"])
    code, out = _same_order_command(twins, ids, first, "show", "ID", "--json")
    assert code == 0 and json.loads(out)["state"] == "acknowledged" and json.loads(out)["site"] == first
    _same_order_command(twins, ids, first, "show", "ID")
    assert _same_order_command(twins, ids, first, "start", "ID", "--json")[0] == 0
    assert _same_order_command(twins, ids, first, "hold", "ID")[0] == 0
    assert _same_order_command(twins, ids, first, "start", "ID")[0] == 0
    code, out = _same_order_command(twins, ids, first, "complete", "ID", "--json")
    assert code == 0 and json.loads(out)["state"] == "completed"
    # a tenant cancels its own order remotely, as the API lets it; a closed order cannot move (exit 4)
    code, out = _same_order_command(twins, ids, second, "cancel", "ID", "--json", token="acme")
    assert code == 0 and json.loads(out)["state"] == "cancelled"
    code, out = _same_order_command(twins, ids, second, "cancel", "ID", token="acme")
    assert code == 4 and "is cancelled" in out
    code, out = _same_order_command(twins, ids, second, "show", "ID", "--json")
    assert json.loads(out)["state"] == "cancelled"
    (lcode, lout), (rcode, rout) = twins.both("orders", "--json")

    def by_site(out: str) -> list[dict[str, Any]]:  # ids are random, so is the order of same-time orders
        return sorted(json.loads(normal(ORDER_ID.sub("<order>", out))), key=lambda order: order["site"])
    assert lcode == rcode == 0 and by_site(rout) == by_site(lout)


def test_order_refusals_remotely(twins: Twins) -> None:
    ids = _raise_orders(twins)
    site = sorted(ids["remote"])[0]
    env = {"UNILINK_TOKEN": twins.tokens["acme"]}
    (lcode, lout), (rcode, rout) = twins.both("orders", "show", "o-20260101-deadbeef")
    assert lcode == rcode == 2 and lout.split("(accepted")[0] == rout.split("(accepted")[0]
    refused = twins.remote.invoke(app, ["orders", "start", ids["remote"][site]], env=env)
    assert refused.exit_code == 1 and "403" in refused.output and "operator-admin" in refused.output
    shown = twins.remote.invoke(app, ["orders", "show", ids["remote"][site], "--json"], env=env)
    assert json.loads(shown.output)["state"] == "acknowledged"  # refused: nothing moved
    traversal = twins.remote.invoke(app, ["orders", "cancel", "../tokens", "--json"], env=env)
    assert traversal.exit_code == 2 and json.loads(traversal.output)["field"] == "order_id"
    # the server named on `unilink orders` itself reaches its sub-commands
    grouped = twins.remote.invoke(app, ["orders", "--api", twins.api, "show", ids["remote"][site]],
                                  env={**env, "UNILINK_API": None})
    assert grouped.exit_code == 0 and ids["remote"][site] in grouped.output


def test_local_order_moves_and_applies_publish_events_for_running_servers(twins: Twins) -> None:
    ids = _raise_orders(twins)
    site = sorted(ids["local"])[0]
    assert twins.local.invoke(app, ["orders", "cancel", ids["local"][site]]).exit_code == 0
    store = Store.open(twins.local.env["UNILINK_DATABASE_URL"], migrate=False)
    try:
        with store.session() as session:
            events = [(e.type, e.data.get("order"), e.data.get("state"))
                      for e in session.scalars(select(EventRow).order_by(EventRow.id))]
    finally:
        store.close()
    assert events[0][0] == "change.applied"
    assert {(t, o, s) for t, o, s in events if t == "order.stateChanged"} == (
        {("order.stateChanged", order, "acknowledged") for order in ids["local"].values()}
        | {("order.stateChanged", ids["local"][site], "cancelled")})


def test_revert_remotely_needs_no_tenant_with_a_tenant_token(twins: Twins) -> None:
    remote = twins.remote.invoke(app, ["revert", "1", "--json"], env={"UNILINK_TOKEN": twins.tokens["acme"]})
    assert remote.exit_code == 0 and json.loads(remote.output)["tenant"] == "acme-logistics"
    local = twins.local.invoke(app, ["revert", "1", "--json"])
    assert local.exit_code == 2 and json.loads(local.output)["field"] == "tenant"
