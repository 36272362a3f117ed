"""Field-work orders as the engine's orders module reads and writes them (`unilink.engine.orders`).

ORM rows are handed back for the caller to move along (its transaction commits them); the queries
and the new rows are built here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from unilink.store.tables.services import ChangeHistoryRow, DeploymentRow, ServiceOrderRow
from unilink.store.tables.tenancy import Tenant

EMPTY_DOCUMENT = {"sites": [], "services": [], "boosts": [], "schedules": []}


def orders(session: Session, tenant: str | None, *, closed_states: Sequence[str] | None = None
           ) -> list[tuple[ServiceOrderRow, str]]:
    """(order, tenant name), oldest first; `closed_states` given: only the orders in none of them."""
    query = select(ServiceOrderRow, Tenant.name).join(Tenant, Tenant.id == ServiceOrderRow.tenant_id)
    if tenant is not None:
        query = query.where(Tenant.name == tenant)
    if closed_states is not None:
        query = query.where(ServiceOrderRow.state.notin_(tuple(closed_states)))
    rows = session.execute(query.order_by(ServiceOrderRow.requested_at, ServiceOrderRow.id)).all()
    return [(row, name) for row, name in rows]


def order(session: Session, order_id: str) -> tuple[ServiceOrderRow, str] | None:
    """(order, tenant name), or None when there is no such order."""
    row = session.get(ServiceOrderRow, order_id)
    if row is None:
        return None
    return row, session.get(Tenant, row.tenant_id).name  # type: ignore[union-attr]


def deployment(session: Session, tenant_id: int, now: datetime) -> DeploymentRow:
    """The tenant's deployment row, created empty (revision 0) when nothing was deployed yet."""
    row = session.get(DeploymentRow, tenant_id)
    if row is None:
        row = DeploymentRow(tenant_id=tenant_id, revision=0, intent_version=None, document=dict(EMPTY_DOCUMENT),
                            physical={}, updated_at=now)
        session.add(row)
    return row


def add_history(session: Session, *, tenant_id: int, at: datetime, actor: str, reason: str, action: str,
                plan_id: str | None, summary: dict[str, Any]) -> None:
    session.add(ChangeHistoryRow(tenant_id=tenant_id, at=at, actor=actor, reason=reason, action=action,
                                 plan_id=plan_id, intent_version=None, summary=summary))
