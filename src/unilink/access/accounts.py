"""Users, API tokens and the audit log: who may hold which role, minting, login, revocation.

The rules are here; the queries are in `unilink.store.accounts_repo`. Every function takes the
caller's `Session` (from `Store.session()`), so that it runs in the caller's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from unilink.access.security import (
    OPERATOR_ROLES,
    MintedToken,
    Principal,
    Role,
    hash_password,
    mint_token,
    parse_role,
    secret_matches,
    split_token,
    verify_password,
)
from unilink.errors import NotFoundError, ValidationError
from unilink.store import accounts_repo as repo
from unilink.store import tenancy
from unilink.store.tables.auth import ApiTokenRow, UserRow
from unilink.store.tables.tenancy import Tenant
from unilink.store.tenancy import find_tenant
from unilink.store.types import Executor, Session

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
TOKEN_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@:-]{0,99}$")
LOGIN_TOKEN_TTL = timedelta(hours=12)


def utcnow() -> datetime:
    return datetime.now(UTC)


def tenant_row(session: Session, name: str, *, field: str = "tenant") -> Tenant:
    row = find_tenant(session, name)
    if row is None:
        raise NotFoundError("no such tenant", field=field, value=name, accepted="the name of an existing tenant")
    return row


def _scope_for(session: Session, role: Role, tenant: str | None) -> Tenant | None:
    """Operator roles belong to no tenant; every other role to exactly one (coop-manager: a cooperative)."""
    if role in OPERATOR_ROLES:
        if tenant:
            raise ValidationError("operator roles belong to no tenant", field="tenant", value=tenant,
                                  accepted="no tenant for operator-admin / operator-viewer")
        return None
    if not tenant:
        raise ValidationError(f"role {role.value} needs a tenant", field="tenant", value=tenant,
                              accepted="the name of an existing tenant")
    row = tenant_row(session, tenant)
    if role is Role.COOP_MANAGER and row.kind != "cooperative":
        raise ValidationError("coop-manager is a role of cooperative tenants only", field="role", value=role.value,
                              accepted=f"tenant-admin or tenant-viewer for {row.kind} tenant {tenant}")
    return row


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    prefix: str
    name: str
    role: str
    tenant: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "prefix": self.prefix, "name": self.name, "role": self.role, "tenant": self.tenant,
                "created_at": self.created_at, "expires_at": self.expires_at, "revoked_at": self.revoked_at}


FIRST_START_LINK = "first-start link"  # the name of a first start's link code (access/first_start.py)


def create_token(session: Session, *, role: str, tenant: str | None, name: str = "api",
                 user_id: int | None = None, ttl: timedelta | None = None) -> tuple[MintedToken, TokenInfo]:
    """Mint and store a token; the clear token is in the returned `MintedToken` and nowhere else."""
    parsed = parse_role(role)
    if not isinstance(name, str) or not TOKEN_NAME_RE.match(name):
        raise ValidationError("invalid token name", field="name", value=name,
                              accepted="1-100 characters: letters, digits, space . _ @ : -")
    scope = _scope_for(session, parsed, tenant)
    minted = mint_token()
    now = utcnow()
    row = repo.add_token(session, prefix=minted.prefix, secret_sha256=minted.secret_sha256, name=name,
                         role=parsed.value, tenant_id=scope.id if scope else None, user_id=user_id, created_at=now,
                         expires_at=now + ttl if ttl else None)
    return minted, _token_info(row, scope.name if scope else None)


def _token_info(row: ApiTokenRow, tenant: str | None) -> TokenInfo:
    return TokenInfo(id=row.id, prefix=row.prefix, name=row.name, role=row.role, tenant=tenant,
                     created_at=row.created_at, expires_at=row.expires_at,
                     revoked_at=row.revoked_at)


def list_tokens(session: Session, tenant: str | None) -> list[TokenInfo]:
    """Tokens of one tenant, or every token (tenant None: operator view)."""
    return [_token_info(row, name) for row, name in repo.tokens(session, tenant)]


def revoke_token(session: Session, prefix: str, tenant: str | None) -> TokenInfo:
    found = repo.token(session, prefix)
    if found is None or (tenant is not None and found[1] != tenant):
        raise NotFoundError("no such token", field="prefix", value=prefix, accepted="the prefix of one of your tokens")
    row, name = found
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return _token_info(row, name)


def revoke_login_token(session: Session, token: str) -> TokenInfo | None:
    """Revoke `token` if it is a live token minted by a password login (`login`); None otherwise.

    The secret must match: knowing a prefix (shown in listings) is not enough to end someone's session.
    """
    parts = split_token(token)
    if parts is None:
        return None
    found = repo.token(session, parts[0])
    if found is None or found[0].user_id is None or found[0].revoked_at is not None:
        return None
    row, tenant = found
    if not secret_matches(parts[1], row.secret_sha256):
        return None
    row.revoked_at = utcnow()
    return _token_info(row, tenant)


def principal_for_token(session: Session, token: str) -> Principal | None:
    """The principal a presented token stands for, or None (malformed, unknown, wrong, revoked, expired)."""
    parts = split_token(token)
    if parts is None:
        return None
    prefix, secret = parts
    found = repo.token(session, prefix)
    if found is None:
        return None
    row, tenant = found
    if not secret_matches(secret, row.secret_sha256) or row.revoked_at is not None:
        return None
    if row.name == FIRST_START_LINK:  # a sign-in link's code opens a portal session, never the API
        return None
    expires = row.expires_at
    if expires is not None and expires <= utcnow():
        return None
    return Principal(subject=f"token:{prefix}", role=Role(row.role), tenant=tenant, tenant_id=row.tenant_id,
                     token_prefix=prefix)


def token_expiry(session: Session, prefix: str) -> datetime | None:
    return repo.token_expires_at(session, prefix)


def create_user(session: Session, *, username: str, password: str | None, role: str, tenant: str | None,
                display_name: str = "") -> UserRow:
    """A user of `tenant` (None: an operator). Usernames are unique per tenant — each tenant has its own
    namespace, as accounts of a cloud provider do — so whether a name exists in another tenant can
    neither stop nor be learnt from a creation; a user signs in with its tenant and username."""
    if not isinstance(username, str) or not USERNAME_RE.match(username):
        raise ValidationError("invalid username", field="username", value=username,
                              accepted="1-64 characters: lower-case letters, digits, . _ @ -")
    parsed = parse_role(role)
    scope = _scope_for(session, parsed, tenant)
    if repo.user_exists(session, username, scope.id if scope is not None else None):
        whose = f"tenant {scope.name}" if scope is not None else "the operator"
        raise ValidationError(f"{whose} already has a user of this name", field="username", value=username,
                              accepted="a username not yet in use in this tenant (GET /api/v1/users)")
    return repo.add_user(session, username=username, display_name=display_name or username,
                         password_hash=hash_password(password) if password is not None else None, role=parsed.value,
                         tenant_id=scope.id if scope else None, created_at=utcnow())


def disable_user(session: Session, username: str, tenant: str | None) -> tuple[UserRow, str | None, list[str]]:
    """Disable `username` (kept, for the audit log) and revoke every token it holds; returns the user,
    its tenant and the revoked tokens' prefixes. `tenant`: the tenant whose user it is — for a tenant
    caller its own (another tenant's user is not found, like one that does not exist); None (operators
    only): the one user of that name, wherever it is, or a request to name the tenant if there are several."""
    found = repo.users_named(session, username, tenant)
    operators = [(u, n) for u, n in found if n is None]
    if tenant is None and operators:  # without ?tenant=, an operator user of that name comes first
        found = operators
    if not found:
        raise NotFoundError("no such user", field="username", value=username, accepted="the name of one of your users")
    if len(found) > 1:
        raise ValidationError("several tenants have a user of this name: name the tenant", field="tenant",
                              value=None, accepted="?tenant= one of " + ", ".join(str(n) for _, n in found))
    user, name = found[0]
    user.disabled = True
    tokens = repo.live_tokens_of_user(session, user.id)
    for token in tokens:
        token.revoked_at = utcnow()
    session.flush()
    return user, name, [t.prefix for t in tokens]


def login(session: Session, username: str, password: str, tenant: str | None = None
          ) -> tuple[MintedToken, TokenInfo] | None:
    """A short-lived token for the user `username` of `tenant` (None: an operator user) whose password
    matches, else None (no hint which part was wrong: an unknown tenant is an unknown user)."""
    found = repo.user_in_scope(session, username, tenant)
    if found is None:
        verify_password(password, _DUMMY_HASH)  # same work whether or not the user exists
        return None
    user, tenant = found
    if user.disabled or user.password_hash is None:
        verify_password(password, _DUMMY_HASH)  # as long as for a user that does not exist
        return None
    if not verify_password(password, user.password_hash):
        return None
    return create_token(session, role=user.role, tenant=tenant, name=f"login:{user.username}"[:100],
                        user_id=user.id, ttl=LOGIN_TOKEN_TTL)


_DUMMY_HASH = hash_password("not-a-real-password-only-for-timing")


def record_audit(session: Executor, *, principal: Principal | None, method: str, path: str, action: str,
                 status: int, client: str, tenant: str | None = None, detail: dict[str, Any] | None = None) -> None:
    repo.add_audit(session, {
        "at": utcnow(), "subject": principal.subject if principal else "anonymous",
        "role": principal.role.value if principal else "-",
        "tenant": tenant or (principal.tenant if principal else None), "method": method, "path": path[:500],
        "action": action[:100], "status": status, "client": client[:100], "detail": detail})



@dataclass(frozen=True, slots=True)
class TenantInfo:
    """A tenant as the API and the portal show it."""

    name: str
    kind: str
    display_name: str
    created_at: datetime


def _tenant_info(row: Tenant) -> TenantInfo:
    return TenantInfo(name=row.name, kind=row.kind, display_name=row.display_name,
                      created_at=row.created_at)


def tenant_infos(session: Session, principal: Principal) -> list[TenantInfo]:
    """Every tenant for operators, its own for a tenant role; by name."""
    rows = tenancy.list_tenants(session)
    return [_tenant_info(r) for r in rows if principal.is_operator or r.name == principal.tenant]


def tenant_info(session: Session, name: str) -> TenantInfo:
    """The tenant `name` (the caller checked it may see it); NotFoundError when there is none."""
    return _tenant_info(tenancy.get_tenant(session, name))


def add_tenant(session: Session, name: str, kind: str, display_name: str) -> TenantInfo:
    return _tenant_info(tenancy.add_tenant(session, name, kind, display_name))
