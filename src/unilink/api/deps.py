"""FastAPI dependencies: the store, the caller (token → principal, rate limit), role and tenant scoping.

Scoping rules, the same for every resource:
- tenant roles see only their own tenant; naming another (`?tenant=other`, or another tenant's
  object by id) answers 404, exactly as if it did not exist;
- operator roles see every tenant and may name one with `?tenant=`;
- only writer roles (operator-admin, tenant-admin, coop-manager) change anything: 403 otherwise,
  decided by the role alone so that it reveals nothing about other tenants' objects.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request

from unilink.api.authn import Authenticator
from unilink.api.ratelimit import TokenBucketLimiter
from unilink.api.security import Principal, Role
from unilink.errors import NotFoundError, ValidationError
from unilink.inventory.model import NAME_RE
from unilink.store.db import Store

PRINCIPAL_SCOPE_KEY = "unilink.principal"
TENANT_SCOPE_KEY = "unilink.tenant"
__all__ = ["Authenticator"]  # re-exported: the portal and tests take it from here


def get_store(request: Request) -> Store:
    """The app's store (a plain function: the portal calls it too)."""
    return request.app.state.store_holder.get()


async def store_dependency(request: Request) -> Store:
    # Dependencies are async so that FastAPI does not send each one to the thread pool: on the hot read
    # path a thread hop costs more than the work.
    return request.app.state.store_holder.get()


StoreDep = Annotated[Store, Depends(store_dependency)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="unilink"'})


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("send an API token: 'Authorization: Bearer ul_...' (create one with `unilink token "
                            "create`)")
    auth: Authenticator = request.app.state.authenticator
    token = token.strip()
    principal = await auth.authenticate(request.app.state.store_holder.get(), token)
    if principal is None:
        raise _unauthorized("the token is unknown, revoked or expired")
    if auth.limiter is not None:
        wait_s = auth.limiter.acquire(principal.subject)
        if wait_s > 0:
            raise HTTPException(429, f"rate limit of {auth.limiter.rate_per_s:g} requests/s exceeded for this token",
                                headers={"Retry-After": TokenBucketLimiter.retry_after_header(wait_s)})
    request.scope[PRINCIPAL_SCOPE_KEY] = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_writer(principal: PrincipalDep) -> Principal:
    if not principal.can_write:
        raise HTTPException(403, f"role {principal.role.value} may read but not change anything")
    return principal


def require_operator(principal: PrincipalDep) -> Principal:
    if not principal.is_operator:
        raise HTTPException(403, "operator roles only (operator-admin, operator-viewer)")
    return principal


def require_operator_admin(principal: PrincipalDep) -> Principal:
    if principal.role is not Role.OPERATOR_ADMIN:
        raise HTTPException(403, "operator-admin only")
    return principal


# The checks above are plain functions (the portal calls them); the dependencies wrap them in async
# functions so that FastAPI runs them on the event loop, not in the thread pool.
async def _writer(principal: PrincipalDep) -> Principal:
    return require_writer(principal)


async def _operator(principal: PrincipalDep) -> Principal:
    return require_operator(principal)


async def _operator_admin(principal: PrincipalDep) -> Principal:
    return require_operator_admin(principal)


WriterDep = Annotated[Principal, Depends(_writer)]
OperatorDep = Annotated[Principal, Depends(_operator)]
OperatorAdminDep = Annotated[Principal, Depends(_operator_admin)]

TenantQuery = Annotated[str | None, Query(max_length=64, pattern=NAME_RE.pattern,
                                          description="Operator roles: the tenant to act on. Tenant roles: "
                                                      "their own tenant (any other answers 404).")]


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


def mark_tenant(request: Request, tenant: str | None) -> None:
    """Tell the audit log which tenant a write concerned."""
    request.scope[TENANT_SCOPE_KEY] = tenant
