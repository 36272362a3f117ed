"""Users, API tokens and the audit log: the queries behind `unilink.access.accounts`.

Joined results come back as `(row, tenant name)` tuples (the name is None for operator users and
tokens, which belong to no tenant). Rules — who may hold which role, token minting, password checks —
are not here: they are in `unilink.access`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from unilink.store.db import Store, connection_of
from unilink.store.tables.auth import ApiTokenRow, AuditRow, UserRow
from unilink.store.tables.tenancy import Tenant
from unilink.store.types import Executor

_TOKENS = select(ApiTokenRow, Tenant.name).outerjoin(Tenant, ApiTokenRow.tenant_id == Tenant.id)
_USERS = select(UserRow, Tenant.name).outerjoin(Tenant, UserRow.tenant_id == Tenant.id)
_INSERT_AUDIT = insert(AuditRow)


# -- tokens ----------------------------------------------------------------------------------------

def add_token(session: Session, *, prefix: str, secret_sha256: str, name: str, role: str, tenant_id: int | None,
              user_id: int | None, created_at: datetime, expires_at: datetime | None) -> ApiTokenRow:
    row = ApiTokenRow(prefix=prefix, secret_sha256=secret_sha256, name=name, role=role, tenant_id=tenant_id,
                      user_id=user_id, created_at=created_at, expires_at=expires_at)
    session.add(row)
    session.flush()
    return row


def tokens(session: Session, tenant: str | None) -> list[tuple[ApiTokenRow, str | None]]:
    """Tokens of one tenant, or every token (None), by id."""
    query = _TOKENS if tenant is None else _TOKENS.where(Tenant.name == tenant)
    return [(row, name) for row, name in session.execute(query.order_by(ApiTokenRow.id))]


def token(session: Session, prefix: str) -> tuple[ApiTokenRow, str | None] | None:
    found = session.execute(_TOKENS.where(ApiTokenRow.prefix == prefix)).first()
    return None if found is None else (found[0], found[1])


def token_expires_at(session: Session, prefix: str) -> datetime | None:
    return session.scalar(select(ApiTokenRow.expires_at).where(ApiTokenRow.prefix == prefix))


def live_tokens_of_user(session: Session, user_id: int) -> list[ApiTokenRow]:
    """The user's tokens not yet revoked (expired ones included: revoking them too costs nothing)."""
    return list(session.scalars(select(ApiTokenRow).where(ApiTokenRow.user_id == user_id,
                                                          ApiTokenRow.revoked_at.is_(None))))


def live_prefixes(store: Store, prefixes: Iterable[str], now: datetime) -> set[str]:
    """Those of `prefixes` whose token still exists, is not revoked and has not expired at `now`."""
    wanted = list(prefixes)
    with store.engine.connect() as conn:  # a Core read: no ORM session on the hottest query of the API
        return set(conn.scalars(select(ApiTokenRow.prefix).where(
            ApiTokenRow.prefix.in_(wanted), ApiTokenRow.revoked_at.is_(None),
            or_(ApiTokenRow.expires_at.is_(None), ApiTokenRow.expires_at > now))))


# -- users -----------------------------------------------------------------------------------------

def user_exists(session: Session, username: str, tenant_id: int | None) -> bool:
    """Whether the tenant (None: the operator) has a user of this name."""
    same_scope = UserRow.tenant_id.is_(None) if tenant_id is None else UserRow.tenant_id == tenant_id
    return session.scalar(select(UserRow.id).where(UserRow.username == username, same_scope)) is not None


def add_user(session: Session, *, username: str, display_name: str, password_hash: str | None, role: str,
             tenant_id: int | None, created_at: datetime) -> UserRow:
    row = UserRow(username=username, display_name=display_name, password_hash=password_hash, role=role,
                  tenant_id=tenant_id, disabled=False, created_at=created_at)
    session.add(row)
    session.flush()
    return row


def users(session: Session, tenant: str | None) -> list[tuple[UserRow, str | None]]:
    """Users of one tenant, or every user (None), by username."""
    query = _USERS.order_by(UserRow.username)
    if tenant is not None:
        query = query.where(Tenant.name == tenant)
    return [(row, name) for row, name in session.execute(query)]


def users_named(session: Session, username: str, tenant: str | None) -> list[tuple[UserRow, str | None]]:
    """Every user called `username` — of `tenant` only when given — by id."""
    query = _USERS.where(UserRow.username == username)
    if tenant is not None:
        query = query.where(Tenant.name == tenant)
    return [(row, name) for row, name in session.execute(query.order_by(UserRow.id))]


def user_in_scope(session: Session, username: str, tenant: str | None) -> tuple[UserRow, str | None] | None:
    """The user `username` of `tenant` (None: the operator's user of that name)."""
    query = _USERS.where(UserRow.username == username)
    query = query.where(UserRow.tenant_id.is_(None)) if tenant is None else query.where(Tenant.name == tenant)
    found = session.execute(query).first()
    return None if found is None else (found[0], found[1])


# -- the audit log ---------------------------------------------------------------------------------

def add_audit(executor: Executor, values: dict[str, Any]) -> None:
    # a Core insert on the session's connection: every write request records one (see store.change_repo)
    connection_of(executor).execute(_INSERT_AUDIT, values)


def audit_entries(session: Session, tenant: str | None, limit: int) -> list[AuditRow]:
    """The newest `limit` entries, newest first (of one tenant when given)."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if tenant is not None:
        query = query.where(AuditRow.tenant == tenant)
    return list(session.scalars(query))


def live_operator_admin_tokens(session: Session, now: datetime) -> list[ApiTokenRow]:
    """Operator-admin tokens neither revoked nor expired (the first start checks whether anyone can run it)."""
    return list(session.scalars(select(ApiTokenRow).where(
        ApiTokenRow.role == "operator-admin", ApiTokenRow.revoked_at.is_(None),
        or_(ApiTokenRow.expires_at.is_(None), ApiTokenRow.expires_at > now))))


def has_operator_admin_user(session: Session) -> bool:
    return session.scalar(select(UserRow.id).where(UserRow.role == "operator-admin",
                                                   UserRow.disabled.is_(False)).limit(1)) is not None
