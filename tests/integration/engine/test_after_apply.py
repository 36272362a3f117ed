"""The apply hook: `after_apply(session, result)` runs in the apply's transaction; if it raises, nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from engine_helpers import allocations, booked, config, go
from engine_world import NOW, acme
from sqlalchemy import text

from unilink.engine import ApplyResult, apply, plan
from unilink.engine.core import history, status
from unilink.store.db import Store


@pytest.fixture
def onboarded(estore: Store) -> Store:
    go(estore, "acme", acme(), NOW, accesses_installed=True)
    return estore


def _bigger_vpn() -> dict[str, Any]:
    doc = acme()
    doc["services"][2]["members"][1]["rate"] = "300M"  # the Lyon and Milan routers both change
    doc["services"][2]["members"][2]["rate"] = "60M"
    return doc


class HookFailed(Exception):
    pass


def test_a_failing_hook_rolls_the_whole_apply_back(onboarded: Store) -> None:
    before = (booked(onboarded), allocations(onboarded), config(onboarded, "lyon-pe1"), config(onboarded, "milan-pe1"),
              history(onboarded, "acme"), status(onboarded, "acme"))
    p = plan(onboarded, "acme", _bigger_vpn(), now=NOW)
    seen: list[tuple[Any, ApplyResult]] = []

    def failing(session: Any, result: ApplyResult) -> None:
        # called after the history row was written, in the same transaction
        count = session.execute(text("SELECT count(*) FROM change_history")).scalar_one()
        seen.append((count, result))
        raise HookFailed("outbox full")

    with pytest.raises(HookFailed):
        apply(onboarded, p.id, "alice", "", now=NOW, after_apply=failing)
    [(count, result)] = seen
    assert count == len(before[4]) + 1 and result.revision == 2 and set(result.routers) >= {"lyon-pe1", "milan-pe1"}
    after = (booked(onboarded), allocations(onboarded), config(onboarded, "lyon-pe1"), config(onboarded, "milan-pe1"),
             history(onboarded, "acme"), status(onboarded, "acme"))
    assert after == before  # ledger rows, pools, routers' committed configs, history, deployed revision
    # the plan is still good: applied without the hook, it lands
    assert apply(onboarded, p.id, "alice", "retry", now=NOW).revision == 2
    assert config(onboarded, "lyon-pe1") != before[2]


def test_the_hook_writes_in_the_same_transaction(onboarded: Store) -> None:
    p = plan(onboarded, "acme", _bigger_vpn(), now=NOW)
    results: list[ApplyResult] = []
    result = apply(onboarded, p.id, "alice", "", now=NOW, after_apply=lambda session, r: results.append(r))
    assert results == [result]


def test_a_plan_stored_before_schema_versions_still_applies(onboarded: Store) -> None:
    """A stored plan document without "schema_version" (written before the plan was typed) loads as schema 1."""
    from sqlalchemy import select, update

    from unilink.engine import core
    from unilink.engine import runtime as rt
    from unilink.store.tables.services import PlanRow

    p = plan(onboarded, "acme", _bigger_vpn(), now=NOW)
    with onboarded.session(write=True) as session:
        stored = dict(session.scalars(select(PlanRow.content).where(PlanRow.id == p.id)).one())
        del stored["schema_version"]
        session.execute(update(PlanRow).where(PlanRow.id == p.id).values(content=stored))
    core.PLAN_CACHE.clear()  # as another process: read from the table
    rt.forget(onboarded)
    assert apply(onboarded, p.id, "alice", "", now=NOW).revision == 2
