"""Tenants in the store: list, get, add. Other domains hang their rows off `Tenant.id`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from unilink.errors import ConflictError, NotFoundError, ValidationError
from unilink.inventory.model import check_name
from unilink.store.tables.tenancy import TENANT_KINDS, Tenant


def list_tenants(session: Session) -> list[Tenant]:
    """Every tenant, by name."""
    return list(session.scalars(select(Tenant).order_by(Tenant.name)))


def find_tenant(session: Session, name: str) -> Tenant | None:
    return session.scalars(select(Tenant).where(Tenant.name == name)).one_or_none()


def get_tenant(session: Session, name: str) -> Tenant:
    """The tenant called `name`; raises NotFoundError (exit code 2, HTTP 404) when there is none."""
    tenant = find_tenant(session, name)
    if tenant is None:
        raise NotFoundError("no such tenant", field="tenant", value=name, accepted="the name of an existing tenant")
    return tenant


def add_tenant(session: Session, name: str, kind: str, display_name: str) -> Tenant:
    """Create a tenant after checking its fields; ConflictError when the name is taken."""
    check_name(name, field="tenant.name")
    if kind not in TENANT_KINDS:
        raise ValidationError("unknown tenant kind", field="tenant.kind", value=kind, accepted=", ".join(TENANT_KINDS))
    if not isinstance(display_name, str) or not 1 <= len(display_name) <= 200:
        raise ValidationError("display name must be 1-200 characters", field="tenant.display_name",
                              value=display_name)
    if find_tenant(session, name) is not None:
        raise ConflictError("a tenant with this name exists", field="tenant.name", value=name)
    tenant = Tenant(name=name, kind=kind, display_name=display_name, created_at=datetime.now(UTC))
    session.add(tenant)
    session.flush()
    return tenant
