"""FastAPI dependencies: the store, the caller (token → principal, rate limit), role and tenant scoping.

The rules themselves are plain functions of `unilink.access.scope` (the portal calls them too); this
module wraps them in dependencies and re-exports them for the routes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from unilink.access.authn import Authenticator
from unilink.access.scope import (
    PRINCIPAL_SCOPE_KEY,
    TENANT_SCOPE_KEY,
    TenantQuery,
    acting_tenant,
    check_rate,
    get_store,
    mark_principal,
    mark_tenant,
    require_operator,
    require_operator_admin,
    require_writer,
    visible_tenant,
)
from unilink.access.security import Principal
from unilink.store.db import Store

# re-exported: the routes take them from here
__all__ = ["PRINCIPAL_SCOPE_KEY", "TENANT_SCOPE_KEY", "Authenticator", "TenantQuery", "acting_tenant", "get_store",
           "mark_tenant", "require_operator", "require_operator_admin", "require_writer", "visible_tenant"]


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
    check_rate(auth.limiter, principal)
    mark_principal(request, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


# The checks are plain functions (the portal calls them); the dependencies wrap them in async
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
