"""Crash recovery with a real process kill: a transaction is interrupted by SIGKILL mid-flight, a new
process recovers from the SQLite journal, and no router is left half-applied."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unilink.devices.drivers.sim import SimDriver
from unilink.devices.journal import StoreJournal, last_committed
from unilink.devices.transaction import recover
from unilink.store.db import Store

CHILD = Path(__file__).parent / "dev_crash_child.py"
ROUTERS = [f"r{i}" for i in range(5)]


def _running_texts(state_dir: Path) -> dict[str, str]:
    return {r: json.loads((state_dir / f"{r}.json").read_text())["text"] for r in ROUTERS
            if (state_dir / f"{r}.json").exists()}


def _new_count(state_dir: Path) -> int:
    return sum("shaping-rate 10000000\n" in t for t in _running_texts(state_dir).values())


def _run_and_kill(tmp_path: Path, hang_router: str, hang_on: str, until_state: str,
                  until_new: int) -> tuple[Store, Path]:
    """Run the child until the journal shows `until_state` and `until_new` routers run the new config."""
    db_url = f"sqlite:///{tmp_path / 'unilink.db'}"
    state_dir = tmp_path / "devices"
    state_dir.mkdir()
    store = Store.open(db_url)
    journal = StoreJournal(store)
    child = subprocess.Popen([sys.executable, str(CHILD), db_url, str(state_dir), hang_router, hang_on],
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            entry = journal.get("tx-killed")
            if entry is not None and entry.state == until_state and _new_count(state_dir) == until_new:
                break
            assert child.poll() is None, "the child ended on its own"
            time.sleep(0.05)
        else:
            pytest.fail(f"the transaction never reached {until_state} with {until_new} routers on the new config")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    return store, state_dir


def test_killed_during_commit_is_undone_on_every_router(tmp_path: Path) -> None:
    store, state_dir = _run_and_kill(tmp_path, "r3", "commit", until_state="committing", until_new=4)
    before = _running_texts(state_dir)
    assert sum("10000000\n" in t and "100000000" not in t for t in before.values()) == 4, \
        "the kill left four routers on the new config and r3 on the old one (half-applied)"
    assert StoreJournal(store).get("tx-killed").state == "committing"  # type: ignore[union-attr]

    drivers = {r: SimDriver(r, state_dir=state_dir) for r in ROUTERS}
    outcomes = recover(store, drivers)
    assert [(o.id, o.decision) for o in outcomes] == [("tx-killed", "undone")]
    after = _running_texts(state_dir)
    assert all("shaping-rate 100000000" in t for t in after.values()), after
    entry = StoreJournal(store).get("tx-killed")
    assert entry is not None and entry.state == "rolled_back"
    assert {s.state for s in entry.steps} == {"rolled_back"}
    assert last_committed(store) == {}
    assert recover(store, drivers) == [], "nothing left to recover"
    store.close()


def test_killed_after_the_last_commit_is_finished(tmp_path: Path) -> None:
    store, state_dir = _run_and_kill(tmp_path, "r1", "verify", until_state="committed", until_new=5)
    assert all("shaping-rate 10000000\n" in t for t in _running_texts(state_dir).values())

    drivers = {r: SimDriver(r, state_dir=state_dir) for r in ROUTERS}
    outcomes = recover(store, drivers)
    assert [(o.id, o.decision) for o in outcomes] == [("tx-killed", "finished")]
    assert all("shaping-rate 10000000\n" in t for t in _running_texts(state_dir).values())
    assert StoreJournal(store).get("tx-killed").state == "done"  # type: ignore[union-attr]
    assert sorted(last_committed(store)) == ROUTERS
    store.close()
