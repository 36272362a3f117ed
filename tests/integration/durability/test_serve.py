"""`unilink serve` (a real uvicorn process): recovery runs at start, the scheduler fires a boost's return."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from world import ROUTERS, acme, prepare

from unilink import clock
from unilink.devices.diff import DeviceChange
from unilink.devices.journal import BOUND_STATE, StoreJournal, committed_configs
from unilink.devices.push import BoundJournal
from unilink.devices.render import RenderedConfig
from unilink.engine import apply, plan
from unilink.engine.core import history
from unilink.store.db import Store
from unilink.store.tables.services import DeploymentRow

UNILINK = Path(sys.executable).with_name("unilink")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Any, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def crashed_entry(store: Store) -> str:
    """A journal entry as an apply killed mid-push leaves it: `preparing`, routers half-way."""
    with store.session() as session:
        configs = {r: c.full_text() for r, c in committed_configs(session).items()}
    changes = [DeviceChange(router=r, vendor="junos", before=RenderedConfig("junos", configs[r]),
                            after=RenderedConfig("junos", configs[r] + "# never committed\n"), diff="",
                            added=1, removed=0) for r in ROUTERS]
    return BoundJournal.open(store, changes, actor="crashed", reason="", plan_id=None).id


def lyon_config(store: Store) -> str:
    with store.session() as session:
        stored = committed_configs(session).get("lyon-pe1")
        return stored.full_text() if stored is not None else ""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Store, str, str]]:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    # `unilink serve` runs in a process of its own, on the wall clock: this store runs on it too, so
    # the boost planned here ends 4 s later for both (the one test that needs the real time to pass)
    store = prepare(Store.open(url, clock=clock.SYSTEM))
    doc = acme()
    until = store.clock.now() + timedelta(seconds=4)
    doc["boosts"] = [{"service": "corp", "site": "Plant", "rate": "400M", "until": until.isoformat()}]
    apply(store, plan(store, "acme", doc, accesses_installed=True).id, "tester", "boost for a backup")
    assert "400000000" in lyon_config(store)  # the boost is in force before the server starts
    tx_id = crashed_entry(store)
    port = free_port()
    env = {**os.environ, "UNILINK_WEBHOOKS": "off", "UNILINK_RATE_LIMIT": "off"}
    proc = subprocess.Popen([str(UNILINK), "serve", "--port", str(port), "--database", url,
                             "--scheduler-interval", "0.3"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"unilink serve exited ({proc.returncode}): {proc.stdout.read() if proc.stdout else ''}")
        try:
            return httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, "the server to answer")
        yield store, tx_id, base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"unilink serve did not stop within 30 s of SIGTERM: {proc.communicate()[0]}")
        output = proc.stdout.read() if proc.stdout else ""
        # uvicorn ends by re-raising SIGTERM after a clean shutdown (which stopped the scheduler thread)
        assert proc.returncode in (0, -signal.SIGTERM) and "Application shutdown complete" in output, output


def test_serve_recovers_at_start_before_answering(served: tuple[Store, str, str]) -> None:
    store, tx_id, _ = served
    entry = StoreJournal(store).get(tx_id)
    assert entry is not None and entry.state == "rolled_back" and entry.state != BOUND_STATE
    assert entry.error == "recovered: undone"
    # Nothing from before the start is left unfinished. The server's scheduler may by now be applying
    # the end of the 4 s boost (a slow machine gets there first): that entry is in flight, not left over.
    left = [e for e in StoreJournal(store).unfinished() if e.actor != "scheduler"]
    assert left == [], left


def test_the_scheduler_returns_a_boost_while_the_server_runs(served: tuple[Store, str, str]) -> None:
    store, _, _ = served

    def deployed() -> dict[str, Any]:
        with store.session() as session:
            return session.scalars(select(DeploymentRow.document)).one()

    # nothing but the server's scheduler thread runs the scheduler here
    wait_for(lambda: not deployed()["boosts"], "the boost's return", timeout_s=40)
    last = history(store, "acme", limit=1)[0]
    assert last["actor"] == "scheduler" and last["reason"] in ("rates change", "boost over")
    assert "400000000" not in lyon_config(store)  # the router is back to the base rate


def test_unilink_recover_undoes_an_unfinished_apply_once(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from unilink.cli.main import app

    url = f"sqlite:///{tmp_path / 'recover.db'}"
    store = prepare(Store.open(url))
    apply(store, plan(store, "acme", acme(), accesses_installed=True).id, "tester", "onboarding")
    tx_id = crashed_entry(store)
    cli = CliRunner(env={"UNILINK_DATABASE_URL": url})
    first = cli.invoke(app, ["recover", "--json"])
    assert first.exit_code == 0, first.output
    [outcome] = json.loads(first.output)["recovered"]
    assert outcome["id"] == tx_id and outcome["decision"] == "undone" and sorted(outcome["routers"]) == sorted(ROUTERS)
    again = cli.invoke(app, ["recover"])
    assert again.exit_code == 0 and "nothing to recover" in again.output
