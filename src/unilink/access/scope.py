"""What a caller may see and change, the same for the API and the portal.

Scoping rules, the same for every resource:
- tenant roles see only their own tenant; naming another (`?tenant=other`, or another tenant's
  object by id) answers 404, exactly as if it did not exist;
- operator roles see every tenant and may name one with `?tenant=`;
- only writer roles (operator-admin, tenant-admin, coop-manager) change anything: 403 otherwise,
  decided by the role alone so that it reveals nothing about other tenants' objects.

Plain functions over a `Principal` (the API wraps them in FastAPI dependencies, the portal calls them
in its pages); the request keys say where the audit middleware finds the caller and the tenant.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query, Request

from unilink.access.ratelimit import TokenBucketLimiter
from unilink.access.security import Principal, Role
from unilink.errors import NotFoundError, ValidationError
from unilink.inventory.model import NAME_RE
from unilink.store.db import Store

PRINCIPAL_SCOPE_KEY = "unilink.principal"
TENANT_SCOPE_KEY = "unilink.tenant"

TenantQuery = Annotated[str | None, Query(max_length=64, pattern=NAME_RE.pattern,
                                          description="Operator roles: the tenant to act on. Tenant roles: "
                                                      "their own tenant (any other answers 404).")]


def get_store(request: Request) -> Store:
    """The app's store."""
    return request.app.state.store_holder.get()


def check_rate(limiter: TokenBucketLimiter | None, principal: Principal) -> None:
    """429 with Retry-After once the caller's token has used up its requests."""
    if limiter is None:
        return
    wait_s = limiter.acquire(principal.subject)
    if wait_s > 0:
        raise HTTPException(429, f"rate limit of {limiter.rate_per_s:g} requests/s exceeded for this token",
                            headers={"Retry-After": TokenBucketLimiter.retry_after_header(wait_s)})


def require_writer(principal: Principal) -> Principal:
    if not principal.can_write:
        raise HTTPException(403, f"role {principal.role.value} may read but not change anything")
    return principal


def require_operator(principal: Principal) -> Principal:
    if not principal.is_operator:
        raise HTTPException(403, "operator roles only (operator-admin, operator-viewer)")
    return principal


def require_operator_admin(principal: Principal) -> Principal:
    if principal.role is not Role.OPERATOR_ADMIN:
        raise HTTPException(403, "operator-admin only")
    return principal


def visible_tenant(principal: Principal, tenant: str | None) -> str | None:
    """The tenant a read is limited to: the caller's own, or for operators the one named (None: all)."""
    if principal.is_operator:
        return tenant
    if tenant is not None and tenant != principal.tenant:
        raise NotFoundError("no such tenant", field="tenant", value=tenant, accepted="your own tenant")
    return principal.tenant


def acting_tenant(principal: Principal, tenant: str | None) -> str:
    """The one tenant a tenant-scoped request acts on; operators must name it."""
    chosen = visible_tenant(principal, tenant)
    if chosen is None:
        raise ValidationError("operator requests on tenant resources must name the tenant", field="tenant",
                              value=None, accepted="?tenant=<tenant name>")
    return chosen


def mark_principal(request: Request, principal: Principal | None) -> None:
    """Tell the audit log of writes who made this request."""
    request.scope[PRINCIPAL_SCOPE_KEY] = principal


def mark_tenant(request: Request, tenant: str | None) -> None:
    """Tell the audit log which tenant a write concerned."""
    request.scope[TENANT_SCOPE_KEY] = tenant
