"""What the scheduler reads (`unilink.engine.scheduler`): each tenant's deployed document and when it was
last applied."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from unilink.store.tables.services import DeploymentRow
from unilink.store.tables.tenancy import Tenant


def deployments(session: Session) -> list[tuple[str, dict[str, Any], datetime]]:
    """(tenant, deployed document, updated_at) for every tenant with a deployment, by tenant name."""
    rows = session.execute(select(Tenant.name, DeploymentRow.document, DeploymentRow.updated_at)
                           .join(DeploymentRow, DeploymentRow.tenant_id == Tenant.id).order_by(Tenant.name)).all()
    return [(name, document, updated_at) for name, document, updated_at in rows]
