"""The plans that hold capacity and pool values (`plans.holds`), as the engine's holds read and write them.

A tenant's newest ready plan holds what it books and allocates until it is applied, cancelled or
expires (see `unilink.engine.holds`). The flag is what a restarted process, or another process
reloading its runtime, reads to hold the same; the hold itself is in the plan's content
(`content["hold"]`: the link directions and bit/s held, and the pool values).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, or_, select, update
from sqlalchemy.orm import Session

from unilink.store.db import connection_of
from unilink.store.tables.services import EngineStateRow, PlanRow
from unilink.store.tables.tenancy import Tenant

Executor = Session | Connection

_HOLDING = select(PlanRow.id, PlanRow.tenant_id, PlanRow.expires_at, PlanRow.content).where(
    PlanRow.holds.is_(True), PlanRow.status == "ready")
_RELEASE = update(PlanRow).where(PlanRow.holds.is_(True), or_(
    PlanRow.tenant_id == bindparam("b_tenant"), PlanRow.expires_at <= bindparam("b_now"))).values(holds=False)
_RELEASE_TENANT = update(PlanRow).where(PlanRow.holds.is_(True), PlanRow.tenant_id == bindparam("b_tenant")
                                        ).values(holds=False)
_RELEASE_ALL = update(PlanRow).where(PlanRow.holds.is_(True)).values(holds=False)
_CANCEL = update(PlanRow).where(PlanRow.id == bindparam("b_plan"), PlanRow.status == "ready").values(
    status="cancelled", holds=False)


_LOCK = select(EngineStateRow.ledger_seq).where(EngineStateRow.id == 1).with_for_update()
_HOLDING_IDS = select(PlanRow.id, PlanRow.tenant_id, PlanRow.expires_at).where(
    PlanRow.holds.is_(True), PlanRow.status == "ready")


def lock(session: Executor) -> int:
    """Lock the engine's state row for this transaction (serialises plans' holds with applies and each
    other across processes; SQLite's write transaction is exclusive already); the ledger sequence."""
    return int(connection_of(session).execute(_LOCK).scalar_one())


def holding_ids(session: Executor) -> list[Row[Any]]:
    """(id, tenant_id, expires_at) of every plan flagged as holding (no content: cheap)."""
    return list(connection_of(session).execute(_HOLDING_IDS).all())


def holding_plans(session: Executor) -> list[Row[Any]]:
    """(id, tenant_id, expires_at, content) of every plan flagged as holding."""
    return list(connection_of(session).execute(_HOLDING).all())


def release_before(session: Executor, tenant_id: int, now: datetime) -> None:
    """Clear the flag of `tenant_id`'s holding plans (a newer one takes over) and of every expired one."""
    connection_of(session).execute(_RELEASE, {"b_tenant": tenant_id, "b_now": now})


def release_tenant(session: Executor, tenant_id: int) -> None:
    """Clear the flag of `tenant_id`'s holding plans (an apply made them all stale)."""
    connection_of(session).execute(_RELEASE_TENANT, {"b_tenant": tenant_id})


def release_all(session: Executor) -> None:
    """Clear every flag (the topology changed: every plan is stale)."""
    connection_of(session).execute(_RELEASE_ALL)


def cancel(session: Executor, plan_id: str) -> bool:
    """Mark a ready plan cancelled (and no longer holding); False when it was not ready."""
    return bool(connection_of(session).execute(_CANCEL, {"b_plan": plan_id}).rowcount)


def held_bookings(session: Executor) -> list[tuple[str, str, int, datetime | None, datetime | None, str]]:
    """What the holding plans hold on the links, as `capacity_audit.Booked` tuples."""
    names = dict(connection_of(session).execute(select(Tenant.id, Tenant.name)).all())
    out = []
    for plan_id, tenant_id, _expires, content in holding_plans(session):
        for link, direction, bps, start, end in (content.get("hold") or {}).get("arcs", []):
            out.append((link, direction, int(bps), datetime.fromisoformat(start),
                        datetime.fromisoformat(end) if end else None, f"{names.get(tenant_id)}/hold:{plan_id}"))
    return out
