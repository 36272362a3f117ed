"""A process killed in the middle of an engine apply leaves routers and database both old after recovery.

The apply runs in a real subprocess with file-backed simulated routers (they outlive the process); one
router hangs, the test SIGKILLs the process once the others took the new config, then recovery runs
in another new process. On SQLite and on PostgreSQL (skipped with a reason when unreachable).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from world import ROUTERS, acme, prepare

from unilink import clock
from unilink.devices.drivers.registry import using_driver
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.journal import BOUND_STATE, StoreJournal, committed_configs
from unilink.devices.render import RenderedConfig
from unilink.engine import apply, core, plan
from unilink.engine import runtime as rt
from unilink.engine.plan_cache import CachedPlan as PlanCacheEntry
from unilink.store.db import Store
from unilink.store.tables.services import (
    DeploymentRow,
    IntentVersionRow,
    PoolAllocationRow,
    ReservationRow,
)

CHILD = Path(__file__).with_name("crash_child.py")


def _cached(plan_id: str) -> PlanCacheEntry:
    """The plan as this process keeps it in memory (with its rendered configs)."""
    entry = core.PLAN_CACHE.get(plan_id)
    assert entry is not None
    return entry


def running(state_dir: Path, router: str) -> str:
    """What the simulated router runs, read from its state file."""
    path = state_dir / f"{router}.json"
    return RenderedConfig.from_dict(json.loads(path.read_text())).full_text() if path.exists() else ""


def db_config(store: Store, router: str) -> str:
    with store.session() as session:
        stored = committed_configs(session).get(router)
        return stored.full_text() if stored is not None else ""


def snapshot(store: Store) -> dict[str, Any]:
    """Everything an apply changes in the database."""
    with store.session() as session:
        reservations = session.scalars(select(ReservationRow))
        allocations = session.scalars(select(PoolAllocationRow))
        return {
            "reservations": sorted((r.service, r.link, r.direction, r.bps) for r in reservations),
            "allocations": sorted((r.pool, r.scope, r.owner, r.value) for r in allocations),
            "revision": [r.revision for r in session.scalars(select(DeploymentRow))],
            "intent_versions": len(session.scalars(select(IntentVersionRow)).all()),
            "configs": {r: c.full_text() for r, c in committed_configs(session).items()},
        }


def file_backed(state_dir: Path):  # type: ignore[no-untyped-def]
    def factory(router: Any, running_config: RenderedConfig) -> SimDriver:
        return SimDriver(router.name, state_dir=state_dir, initial=running_config)
    return factory


@pytest.fixture
def world(any_store: Store, tmp_path: Path) -> Iterator[tuple[Store, str, Path]]:
    store = prepare(any_store)
    state_dir = tmp_path / "routers"
    state_dir.mkdir()
    with using_driver("test-file-backed", file_backed(state_dir)):  # the engine pushes through it, by name
        plan_id = plan(store, "acme", acme("100M"), accesses_installed=True).id
        apply(store, plan_id, "tester", "onboarding")
        for router in ROUTERS:
            assert running(state_dir, router) == db_config(store, router) != ""
        yield store, store.engine.url.render_as_string(hide_password=False), state_dir


def _wait_until(condition: Any, proc: subprocess.Popen[str], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if proc.poll() is not None:
            errors = proc.stderr.read() if proc.stderr else ""
            pytest.fail(f"the apply process ended early ({proc.returncode}): {errors}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the apply process never reached the state to kill it in")
        time.sleep(0.02)


@pytest.mark.parametrize("hang_on", ["commit", "verify"])
def test_apply_killed_mid_push_is_undone_by_recovery_in_a_new_process(
        world: tuple[Store, str, Path], hang_on: str) -> None:
    store, url, state_dir = world
    before = snapshot(store)
    p = plan(store, "acme", acme("300M"))
    new = {r: _cached(p.id).configs[r].full_text() for r in ROUTERS}  # what this plan renders
    assert all(core._sha(new[r]) == p.content["devices"][r]["after_sha"] for r in ROUTERS)
    assert all(new[r] != db_config(store, r) for r in ROUTERS)  # the change touches every router
    hung = "milan-pe1"
    # hang in commit: the two others committed, milan never does; hang in verify: all three committed
    committed = [r for r in ROUTERS if r != hung] if hang_on == "commit" else list(ROUTERS)
    env = {**os.environ, "PYTHONPATH": str(CHILD.parent), "CRASH_CHILD_NOW": clock.default().now().isoformat()}
    proc = subprocess.Popen([sys.executable, str(CHILD), "apply", url, str(state_dir), p.id, hung, hang_on],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _wait_until(lambda: all(running(state_dir, r) == new[r] for r in committed), proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    # the crash left the routers half or wholly changed, and the database unchanged
    assert all(running(state_dir, r) == new[r] for r in committed)
    assert snapshot(store) == before
    pending = StoreJournal(store).unfinished()
    assert [(e.plan_id, e.state) for e in pending] == [(p.id, BOUND_STATE)]
    assert sorted(s.router for s in pending[0].steps) == sorted(ROUTERS)

    done = subprocess.run([sys.executable, str(CHILD), "recover", url, str(state_dir)], capture_output=True,
                          text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    outcomes = json.loads(done.stdout.strip().splitlines()[-1])
    assert [(o["id"], o["decision"]) for o in outcomes] == [(pending[0].id, "undone")]

    # every router runs what the database says, which is the state before the apply
    assert snapshot(store) == before
    for router in ROUTERS:
        assert running(state_dir, router) == db_config(store, router) == before["configs"][router]
    assert StoreJournal(store).unfinished() == []
    entry = StoreJournal(store).get(pending[0].id)
    assert entry is not None and entry.state == "rolled_back"

    # the plan itself is still good: applied now, routers and database agree on the new state
    rt.forget(store)
    apply(store, p.id, "tester", "after recovery")
    for router in ROUTERS:
        assert running(state_dir, router) == db_config(store, router) == new[router]
    assert snapshot(store)["intent_versions"] == before["intent_versions"] + 1


def test_a_completed_apply_is_journalled_done_with_the_committed_configs(world: tuple[Store, str, Path]) -> None:
    store, _, state_dir = world
    p = plan(store, "acme", acme("250M"))
    apply(store, p.id, "tester", "more")
    [entry] = StoreJournal(store).recent(1, plan_id=p.id)
    assert entry.state == "done" and sorted(s.router for s in entry.steps) == sorted(ROUTERS)
    from unilink.devices.journal import last_committed

    committed = last_committed(store)
    for router in ROUTERS:
        assert committed[router].full_text() == db_config(store, router) == running(state_dir, router)


def test_a_database_failure_after_the_push_undoes_the_routers(world: tuple[Store, str, Path],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    store, _, state_dir = world
    before = snapshot(store)
    p = plan(store, "acme", acme("300M"))

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full while recording the intent")

    from unilink.engine.stages import record

    monkeypatch.setattr(record, "_record_intent", broken)  # the record stage runs after the routers committed
    with pytest.raises(RuntimeError, match="disk full"):
        apply(store, p.id, "tester", "fails late")
    assert snapshot(store) == before
    for router in ROUTERS:
        assert running(state_dir, router) == db_config(store, router)
    [entry] = StoreJournal(store).recent(1, plan_id=p.id)
    assert entry.state == "rolled_back" and StoreJournal(store).unfinished() == []


def test_a_router_refusal_leaves_the_journal_rolled_back(world: tuple[Store, str, Path]) -> None:
    from unilink.engine.devices import DeviceCommitError

    store, _, state_dir = world
    before = snapshot(store)

    def refusing(router: Any, running_config: RenderedConfig) -> SimDriver:
        return SimDriver(router.name, state_dir=state_dir, initial=running_config,
                         fail_on="commit" if router.name == "lyon-pe1" else None)

    p = plan(store, "acme", acme("300M"))
    with using_driver("test-refusing", refusing), pytest.raises(DeviceCommitError):
        apply(store, p.id, "tester", "refused")
    assert snapshot(store) == before
    for router in ROUTERS:
        assert running(state_dir, router) == db_config(store, router)
    [entry] = StoreJournal(store).recent(1, plan_id=p.id)
    assert entry.state == "rolled_back" and {s.router: s.state for s in entry.steps}["lyon-pe1"] == "rolled_back"


def test_recovery_waits_for_an_apply_in_flight_instead_of_undoing_it(world: tuple[Store, str, Path]) -> None:
    """Recovery started while another process is pushing (one slow router) must not undo that push."""
    store, url, state_dir = world
    p = plan(store, "acme", acme("300M"))
    new = {r: _cached(p.id).configs[r].full_text() for r in ROUTERS}
    env = {**os.environ, "PYTHONPATH": str(CHILD.parent), "CRASH_CHILD_NOW": clock.default().now().isoformat()}
    applying = subprocess.Popen([sys.executable, str(CHILD), "apply", url, str(state_dir), p.id, "milan-pe1", "slow"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _wait_until(lambda: all(running(state_dir, r) == new[r] for r in ("paris-pe1", "lyon-pe1")), applying)
        assert StoreJournal(store).unfinished()  # the apply's entry, `preparing`, while milan is slow
        recovering = subprocess.run([sys.executable, str(CHILD), "recover", url, str(state_dir)],
                                    capture_output=True, text=True, timeout=120, env=env, check=False)
        out, err = applying.communicate(timeout=60)
    finally:
        if applying.poll() is None:
            applying.kill()
    assert applying.returncode == 0 and "applied" in out, err
    assert recovering.returncode == 0, recovering.stderr
    assert json.loads(recovering.stdout.strip().splitlines()[-1]) == []  # nothing left once it had the lock
    for router in ROUTERS:
        assert running(state_dir, router) == db_config(store, router) == new[router]
    assert StoreJournal(store).unfinished() == []


def test_an_apply_refused_under_the_lock_before_any_push_closes_its_journal_entry(
        world: tuple[Store, str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry is written before the lock; a refusal found under the lock (here: the tenant's
    capacity check) must close it as rolled back, with nothing pushed."""
    from unilink.errors import InfeasibleError

    store, _, state_dir = world
    before = snapshot(store)
    p = plan(store, "acme", acme("300M"))

    def taken(*_args: Any, **_kwargs: Any) -> None:
        raise InfeasibleError("Lyon-Milan is full")

    from unilink.engine.stages import commit

    monkeypatch.setattr(commit, "_book_allocations", taken)  # runs under the lock, before the devices
    with pytest.raises(InfeasibleError):
        apply(store, p.id, "tester", "refused under the lock")
    assert snapshot(store) == before
    for router in ROUTERS:
        assert running(state_dir, router) == db_config(store, router)
    [entry] = StoreJournal(store).recent(1, plan_id=p.id)
    assert entry.state == "rolled_back" and (entry.error or "").startswith("not pushed: Lyon-Milan is full")
    assert StoreJournal(store).unfinished() == []
