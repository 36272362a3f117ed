"""FastAPI dependencies: the store, the caller (token → principal, rate limit), role and tenant scoping.

Scoping rules, the same for every resource:
- tenant roles see only their own tenant; naming another (`?tenant=other`, or another tenant's
  object by id) answers 404, exactly as if it did not exist;
- operator roles see every tenant and may name one with `?tenant=`;
- only writer roles (operator-admin, tenant-admin, coop-manager) change anything: 403 otherwise,
  decided by the role alone so that it reveals nothing about other tenants' objects.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from unilink.api import accounts
from unilink.api.ratelimit import TokenBucketLimiter
from unilink.api.security import Principal, Role
from unilink.errors import NotFoundError, ValidationError
from unilink.inventory.model import NAME_RE
from unilink.store.db import Store

PRINCIPAL_SCOPE_KEY = "unilink.principal"
TENANT_SCOPE_KEY = "unilink.tenant"
TOKEN_CACHE_TTL_S = 5.0  # a revoked token keeps working at most this long in *another* server process


def get_store(request: Request) -> Store:
    """The app's store (a plain function: the portal calls it too)."""
    return request.app.state.store_holder.get()


async def store_dependency(request: Request) -> Store:
    # Dependencies are async so that FastAPI does not send each one to the thread pool: on the hot read
    # path a thread hop costs more than the work.
    return request.app.state.store_holder.get()


StoreDep = Annotated[Store, Depends(store_dependency)]


@dataclass(slots=True)
class _Cached:
    principal: Principal
    until_s: float


class Authenticator:
    """Token → principal, with a short in-memory cache (a lookup costs a query; reads must be fast)."""

    def __init__(self, limiter: TokenBucketLimiter | None) -> None:
        self.limiter = limiter
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> Principal | None:
        cached = self._cache.get(hashlib.sha256(token.encode()).hexdigest())
        return cached.principal if cached is not None and cached.until_s > time.monotonic() else None

    def principal(self, store: Store, token: str) -> Principal | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached.until_s > now:
            return cached.principal
        with store.session() as session:
            principal = accounts.principal_for_token(session, token)
            expires = accounts.token_expiry(session, principal.token_prefix) if principal else None
        if principal is not None:
            until = now + TOKEN_CACHE_TTL_S
            if expires is not None:  # never serve a token from the cache past its expiry
                until = min(until, now + max(0.0, expires.timestamp() - time.time()))
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[key] = _Cached(principal, until)
        return principal

    def forget(self, prefix: str) -> None:
        """Drop a revoked token from this process's cache at once."""
        with self._lock:
            for key in [k for k, c in self._cache.items() if c.principal.token_prefix == prefix]:
                del self._cache[key]


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
    principal = auth.cached(token)
    if principal is None:  # a database lookup: off the event loop
        principal = await run_in_threadpool(auth.principal, request.app.state.store_holder.get(), token)
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
