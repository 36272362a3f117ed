from __future__ import annotations

from typing import Any

from engine_world import NOW, acme
from sqlalchemy import func, select

from unilink.engine import apply, plan
from unilink.store.db import Store
from unilink.store.tables.services import ReservationRow


def reservations(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(ReservationRow)) or 0


def test_first_plan_and_apply(estore: Store) -> None:
    p = plan(estore, "acme", acme(), now=NOW, accesses_installed=True)
    assert not p.is_empty
    assert {c["name"]: c["action"] for c in p.changes["services"]} == {
        "corp": "add", "hq-internet": "add", "lyon-internet": "add"}
    assert reservations(estore) == 0  # a plan reserves nothing
    result = apply(estore, p.id, "alice", "onboarding", now=NOW)
    assert result.revision == 1 and result.intent_version == 1
    assert reservations(estore) > 0
    again: dict[str, Any] = plan(estore, "acme", acme(), now=NOW).content
    assert again["empty"]
