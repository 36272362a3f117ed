"""The outbox: a change's events are rows of its own transaction, delivered after the commit — or by the
next process when this one died first — and never for a change that rolled back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from usecase_world import TENANT, copy_of, marks, recorded, the_change

from unilink import clock
from unilink.api.app import create_app
from unilink.engine import core as engine_core
from unilink.errors import ConflictError
from unilink.events import outbox_delivery
from unilink.events.outbox_delivery import deliver_pending
from unilink.events.publish import events_after
from unilink.store import outbox_repo
from unilink.store.db import Store
from unilink.usecases import plan_applying
from unilink.usecases.change_plans import plan_change
from unilink.usecases.plan_applying import apply_plan

OUTBOX_CHILD = Path(__file__).with_name("outbox_child.py")


@pytest.fixture
def world_store(usecase_template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[Store]:
    opened = copy_of(usecase_template[0], tmp_path)
    yield opened
    opened.close()


def _events(store: Store, after: int) -> list[tuple[str, Any]]:
    with store.session() as session:
        return [(e.type, e.data.get("state")) for e in events_after(session, after, tenant=None, operator=True)]


def _outbox(store: Store, after: int) -> list[dict[str, Any]]:
    with store.session() as session:
        return [row for row in outbox_repo.rows(session) if row["id"] > after]


def _killed_after_commit(monkeypatch: pytest.MonkeyPatch, store: Store) -> dict[str, int]:
    """Apply the change in a process that dies between its commit and the delivery (delivery never runs)."""
    start = marks(store)
    monkeypatch.setattr(plan_applying, "deliver_pending", lambda _store: 0)
    made = plan_change(store, TENANT, the_change(), actor="alice")
    apply_plan(store, made.id, actor="alice", reason="more bandwidth")
    monkeypatch.undo()
    return start


def test_the_events_are_rows_of_the_commit_and_a_new_process_delivers_them(
        monkeypatch: pytest.MonkeyPatch, world_store: Store, tmp_path: Path) -> None:
    store = world_store
    start = _killed_after_commit(monkeypatch, store)
    pending = _outbox(store, start["since_outbox"])
    assert [row["topic"] for row in pending] == ["change.applied", "order.stateChanged", "capacity.alarm",
                                                  "capacity.alarm"]
    assert not any(row["delivered"] for row in pending)
    assert _events(store, start["since_event"]) == []  # nothing published yet
    url = store.url
    store.close()
    restarted = Store.open(url)  # a new process, a new store on the same database
    try:
        assert deliver_pending(restarted) == 4
        assert _events(restarted, start["since_event"]) == [("change.applied", None), ("order.stateChanged",
                                                            "acknowledged"), ("capacity.alarm", None),
                                                            ("capacity.alarm", None)]
        assert all(row["delivered"] and row["event_id"] for row in _outbox(restarted, start["since_outbox"]))
        assert deliver_pending(restarted) == 0  # delivered once: a second drain finds nothing
        assert len(_events(restarted, start["since_event"])) == 4
    finally:
        restarted.close()


def test_a_process_sigkilled_right_after_its_commit_loses_no_event(world_store: Store) -> None:
    """A real process, killed by the kernel between the change's commit and the delivery: the change
    is there, its events are outbox rows, and the next process delivers each of them once."""
    store = world_store
    start = marks(store)
    made = plan_change(store, TENANT, the_change(), actor="alice")
    env = {**os.environ, "PYTHONPATH": str(OUTBOX_CHILD.parent), "OUTBOX_CHILD_NOW": clock.default().now().isoformat()}
    child = subprocess.run([sys.executable, str(OUTBOX_CHILD), store.url, made.id], env=env, timeout=120,
                           capture_output=True, text=True)
    assert child.returncode == -signal.SIGKILL, child.stderr
    pending = _outbox(store, start["since_outbox"])
    assert [row["topic"] for row in pending][:2] == ["change.applied", "order.stateChanged"]
    assert not any(row["delivered"] for row in pending)
    assert _events(store, start["since_event"]) == []
    restarted = Store.open(store.url)
    try:
        assert deliver_pending(restarted) == len(pending)
        assert [topic for topic, _ in _events(restarted, start["since_event"])] == [r["topic"] for r in pending]
        assert deliver_pending(restarted) == 0
        with restarted.session() as session:  # each event keeps the time of the change, not of its delivery
            times = {e.at for e in events_after(session, start["since_event"], tenant=None, operator=True)}
        assert times == {clock.default().now()}
    finally:
        restarted.close()


def test_the_server_delivers_what_was_left_when_it_starts(monkeypatch: pytest.MonkeyPatch,
                                                         world_store: Store) -> None:
    store = world_store
    start = _killed_after_commit(monkeypatch, store)
    assert _events(store, start["since_event"]) == []
    with TestClient(create_app(store, rate_limit="off", deliver_webhooks=False)):
        pass  # the lifespan ran: start-up delivery
    assert [t for t, _ in _events(store, start["since_event"])] == ["change.applied", "order.stateChanged",
                                                                    "capacity.alarm", "capacity.alarm"]


def test_a_change_that_rolls_back_leaves_no_outbox_row_and_sends_nothing(
        monkeypatch: pytest.MonkeyPatch, world_store: Store) -> None:
    store = world_store
    start = marks(store)
    made = plan_change(store, TENANT, the_change(), actor="alice")
    before = recorded(store, **start)

    def broken(*_args: Any) -> list[Any]:
        raise RuntimeError("the alarm check failed inside the apply's transaction")

    monkeypatch.setattr(plan_applying, "crossings", broken)  # raises in the after-apply hook, before commit
    with pytest.raises(RuntimeError):
        apply_plan(store, made.id, actor="alice", reason="more bandwidth")
    monkeypatch.undo()
    assert recorded(store, **start) == before  # no history row, no outbox row, no event, nothing deployed
    assert _outbox(store, start["since_outbox"]) == [] and _events(store, start["since_event"]) == []
    assert deliver_pending(store) == 0
    assert engine_core.status(store, TENANT)["revision"] == 1
    # and the plan is still the one to apply: nothing of it happened
    apply_plan(store, made.id, actor="alice", reason="more bandwidth")
    assert engine_core.status(store, TENANT)["revision"] == 2


def test_a_refused_apply_sends_change_failed_only(world_store: Store) -> None:
    store = world_store
    start = marks(store)
    first = plan_change(store, TENANT, the_change(), actor="alice")
    second = plan_change(store, TENANT, the_change(), actor="bob")  # the tenant's newer plan
    apply_plan(store, second.id, actor="bob", reason="")
    after_second = marks(store)
    with pytest.raises(ConflictError):
        apply_plan(store, first.id, actor="alice", reason="")  # stale: refused, rolled back
    assert [row["topic"] for row in _outbox(store, after_second["since_outbox"])] == ["change.failed"]
    assert [t for t, _ in _events(store, after_second["since_event"])] == ["change.failed"]
    assert len(recorded(store, **start)["history"]) == 1  # only bob's apply


def test_a_row_that_cannot_be_delivered_holds_back_its_tenant_only(monkeypatch: pytest.MonkeyPatch,
                                                                   world_store: Store) -> None:
    store = world_store
    start = marks(store)
    with store.session(write=True) as session:
        for topic, tenant in (("change.applied", "acme"), ("change.applied", "acme"), ("change.applied", "other")):
            outbox_repo.add(session, topic=topic, tenant=tenant, payload={"n": 1}, at=store.clock.now())
    real = outbox_delivery.publish_in
    calls: list[str | None] = []

    def first_acme_fails(session: Any, type: str, *, tenant: str | None, data: Any, at: Any = None) -> Any:
        calls.append(tenant)
        if len(calls) == 1:
            raise RuntimeError("receiver table locked")
        return real(session, type, tenant=tenant, data=data, at=at)

    monkeypatch.setattr(outbox_delivery, "publish_in", first_acme_fails)
    assert deliver_pending(store) == 1  # "other" only: acme's second row waits behind its first
    assert calls == ["acme", "other"]
    rows = _outbox(store, start["since_outbox"])
    assert [(r["tenant"], r["delivered"], r["attempts"]) for r in rows] == [
        ("acme", False, 1), ("acme", False, 0), ("other", True, 0)]
    assert deliver_pending(store) == 2  # the next drain delivers acme's two, in order
    assert [r["delivered"] for r in _outbox(store, start["since_outbox"])] == [True, True, True]


def test_outbox_rows_are_delivered_once_on_both_databases(any_store: Store) -> None:
    now = any_store.clock.now()
    with any_store.session(write=True) as session:
        outbox_repo.add(session, topic="order.stateChanged", tenant="acme", payload={"order": "o1", "state": "held"},
                        at=now)
        outbox_repo.add(session, topic="capacity.alarm", tenant=None, payload={"link": "L1"}, at=now)
    with any_store.session() as session:
        assert outbox_repo.counts(session) == {"total": 2, "delivered": 0, "pending": 2}
    assert deliver_pending(any_store) == 2
    assert deliver_pending(any_store) == 0
    with any_store.session() as session:
        assert outbox_repo.counts(session) == {"total": 2, "delivered": 2, "pending": 0}
        assert [(e.type, e.tenant) for e in events_after(session, 0, tenant=None, operator=True)] == [
            ("order.stateChanged", "acme"), ("capacity.alarm", None)]
