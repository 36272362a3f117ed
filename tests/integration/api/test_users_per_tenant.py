"""Usernames are unique per tenant and among operators — enforced by the database itself (migration
0007: a unique (tenant_id, username) and a partial unique index for operators), on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from unilink.access import accounts
from unilink.store import tenancy
from unilink.store.db import Store
from unilink.store.tables.auth import UserRow
from unilink.store.tables.tenancy import Tenant


def _raw_user(store: Store, username: str, tenant: str | None) -> None:
    """A user row written past `accounts.create_user`'s own check, as a racing second writer would."""
    with store.session(write=True) as session:
        tenant_id = session.query(Tenant.id).filter(Tenant.name == tenant).scalar() if tenant else None
        session.add(UserRow(username=username, display_name=username, password_hash=None,
                            role="tenant-viewer" if tenant else "operator-viewer", tenant_id=tenant_id,
                            disabled=False, created_at=datetime.now(UTC)))


def test_one_name_per_tenant_and_per_operator_scope(any_store: Store) -> None:
    with any_store.session(write=True) as session:
        tenancy.add_tenant(session, "acme", "enterprise", "Acme")
        tenancy.add_tenant(session, "globex", "enterprise", "Globex")
        for tenant, role in (("acme", "tenant-viewer"), ("globex", "tenant-admin"), (None, "operator-viewer")):
            accounts.create_user(session, username="alice", password=None, role=role, tenant=tenant)
    for tenant in ("acme", None):
        with pytest.raises(IntegrityError):
            _raw_user(any_store, "alice", tenant)
    _raw_user(any_store, "bob", None)
    with any_store.session() as session:
        assert session.query(UserRow).filter(UserRow.username == "alice").count() == 3
