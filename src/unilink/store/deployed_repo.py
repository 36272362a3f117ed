"""What is deployed: each tenant's deployed document and revision (the API's hot read path: prebuilt
statements, one connection), every deployment at once (the engine's runtime, the scheduler, the
removal guard), the names of the tenants, plans and reservations with their tenant's name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from unilink.store.tables.services import DeploymentRow, PlanRow, ReservationRow
from unilink.store.tables.tenancy import Tenant

_REVISION = (select(Tenant.id, DeploymentRow.revision)
             .outerjoin(DeploymentRow, DeploymentRow.tenant_id == Tenant.id)
             .where(Tenant.name == bindparam("b_name")))
_DOCUMENT = select(DeploymentRow.document, DeploymentRow.physical).where(
    DeploymentRow.tenant_id == bindparam("b_tenant"))


def revision(conn: Connection, tenant: str) -> tuple[int, int] | None:
    """(tenant id, deployed revision, -1 when nothing was deployed), or None when there is no such tenant."""
    found = conn.execute(_REVISION, {"b_name": tenant}).first()
    if found is None:
        return None
    return int(found[0]), int(found[1]) if found[1] is not None else -1


def document(conn: Connection, tenant_id: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(deployed document, physical state) of the tenant; (None, None) when nothing was deployed."""
    found = conn.execute(_DOCUMENT, {"b_tenant": tenant_id}).first()
    return (found[0], found[1]) if found is not None else (None, None)


def deployments(session: Session) -> list[tuple[str, dict[str, Any], datetime]]:
    """(tenant name, deployed intent document, when it was last applied) of every deployed tenant, by name."""
    rows = session.execute(select(Tenant.name, DeploymentRow.document, DeploymentRow.updated_at)
                           .join(DeploymentRow, DeploymentRow.tenant_id == Tenant.id).order_by(Tenant.name))
    return [(name, document, updated_at) for name, document, updated_at in rows]


def tenant_names(session: Session) -> list[str]:
    return list(session.scalars(select(Tenant.name).order_by(Tenant.name)))


def plan(session: Session, plan_id: str) -> tuple[PlanRow, str] | None:
    """(the plan, its tenant's name), or None when there is no such plan."""
    row = session.get(PlanRow, plan_id)
    if row is None:
        return None
    return row, session.get(Tenant, row.tenant_id).name  # type: ignore[union-attr]


def reservations(session: Session, tenant: str | None, limit: int) -> list[tuple[ReservationRow, str]]:
    """(reservation, tenant name) by id; one tenant's only when `tenant` is given."""
    query = (select(ReservationRow, Tenant.name).join(Tenant, Tenant.id == ReservationRow.tenant_id)
             .order_by(ReservationRow.id).limit(limit))
    if tenant is not None:
        query = query.where(Tenant.name == tenant)
    return [(row, name) for row, name in session.execute(query).all()]
