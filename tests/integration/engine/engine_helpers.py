from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from unilink.devices.journal import committed_configs
from unilink.engine import ApplyResult, apply, plan
from unilink.store.db import Store
from unilink.store.tables.services import PoolAllocationRow, ReservationRow


def go(store: Store, tenant: str, doc: dict[str, Any], now: datetime, **kwargs: Any) -> ApplyResult:
    p = plan(store, tenant, doc, now=now, **kwargs)
    return apply(store, p.id, "tester", "test", now=now, confirm_removals=True)  # the change is meant


def booked(store: Store, key_prefix: str = "") -> dict[str, list[tuple[str, str, int]]]:
    out: dict[str, list[tuple[str, str, int]]] = {}
    with store.session() as session:
        for row in session.scalars(select(ReservationRow).order_by(ReservationRow.id)):
            if row.service.startswith(key_prefix):
                out.setdefault(row.service, []).append((row.link, row.direction, row.bps))
    return out


def allocations(store: Store) -> list[tuple[str, str, str, int]]:
    with store.session() as session:
        return [(r.pool, r.scope, r.owner, r.value) for r in session.scalars(select(PoolAllocationRow))]


def config(store: Store, router: str) -> str:
    with store.session() as session:
        stored = committed_configs(session).get(router)
        return stored.full_text() if stored else ""
