"""Login, tokens, users, tenants and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from unilink.access import accounts
from unilink.access.login import password_login
from unilink.access.security import OPERATOR_ROLES, Principal, Role
from unilink.api.deps import (
    OperatorAdminDep,
    PrincipalDep,
    StoreDep,
    TenantQuery,
    WriterDep,
    mark_tenant,
    visible_tenant,
)
from unilink.api.paging import Filter, PageDep, paged
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.api.schemas import (
    AuditOut,
    LoginRequest,
    Name,
    TenantCreate,
    TenantOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
    Whoami,
)
from unilink.errors import NotFoundError
from unilink.store import accounts_repo
from unilink.store.tables.auth import UserRow

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)


def _grantable(principal: Principal, role: str, tenant: str | None) -> str | None:
    """The tenant a new token or user gets; tenant callers grant only tenant roles of their own tenant."""
    if principal.is_operator:
        return tenant
    if Role(role) in OPERATOR_ROLES:
        raise HTTPException(403, "only operator-admin grants operator roles")
    if tenant is not None and tenant != principal.tenant:
        raise NotFoundError("no such tenant", field="tenant", value=tenant, accepted="your own tenant")
    return principal.tenant


# Responses that carry a secret (a token) are never stored by a browser or a proxy.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _no_store(response: Response) -> None:
    response.headers.update(NO_STORE)


@router.post("/auth/login", tags=["auth"], response_model=TokenCreated, status_code=201,
             summary="Exchange a tenant, username and password for a 12-hour token (portal login)")
def login(body: LoginRequest, request: Request, store: StoreDep, response: Response) -> TokenCreated:
    minted, info = password_login(body, request, store)  # the portal's sign-in calls it too
    _no_store(response)
    return TokenCreated(token=minted.token, **info.to_dict())


@router.get("/auth/whoami", tags=["auth"], response_model=Whoami, summary="Who the presented token stands for")
def whoami(principal: PrincipalDep) -> Whoami:
    return Whoami(subject=principal.subject, role=principal.role.value, tenant=principal.tenant)


@router.get("/tokens", tags=["auth"], response_model=list[TokenOut], summary="API tokens (never their secrets)")
def list_tokens(principal: PrincipalDep, store: StoreDep, response: Response, page: PageDep,
                tenant: TenantQuery = None) -> list[TokenOut]:
    scope = visible_tenant(principal, tenant)
    with store.session() as session:
        return paged(response, [TokenOut(**t.to_dict()) for t in accounts.list_tokens(session, scope)], page)


@router.post("/tokens", tags=["auth"], response_model=TokenCreated, status_code=201,
             summary="Create an API token; the response is the only time the token is shown")
def create_token(body: TokenCreate, request: Request, principal: WriterDep, store: StoreDep,
                 response: Response) -> TokenCreated:
    _no_store(response)
    tenant = _grantable(principal, body.role, body.tenant)
    mark_tenant(request, tenant)
    with store.session(write=True) as session:
        minted, info = accounts.create_token(session, role=body.role, tenant=tenant, name=body.name)
    return TokenCreated(token=minted.token, **info.to_dict())


@router.delete("/tokens/{prefix}", tags=["auth"], response_model=TokenOut, summary="Revoke a token")
def revoke_token(prefix: Annotated[str, Path(pattern=r"^[0-9a-f]{10}$")], request: Request, principal: WriterDep,
                 store: StoreDep) -> TokenOut:
    mark_tenant(request, principal.tenant)
    with store.session(write=True) as session:
        info = accounts.revoke_token(session, prefix, None if principal.is_operator else principal.tenant)
    request.app.state.authenticator.forget(prefix)
    return TokenOut(**info.to_dict())


def _user_out(row: UserRow, tenant: str | None) -> UserOut:
    return UserOut(username=row.username, display_name=row.display_name, role=row.role, tenant=tenant,
                   disabled=row.disabled, created_at=row.created_at)


@router.get("/users", tags=["tenants"], response_model=list[UserOut], summary="Users (of your tenant)")
def list_users(principal: PrincipalDep, store: StoreDep, response: Response, page: PageDep,
               tenant: TenantQuery = None) -> list[UserOut]:
    scope = visible_tenant(principal, tenant)
    with store.session() as session:
        return paged(response, [_user_out(row, name) for row, name in accounts_repo.users(session, scope)], page)


@router.post("/users", tags=["tenants"], response_model=UserOut, status_code=201, summary="Create a user")
def create_user(body: UserCreate, request: Request, principal: WriterDep, store: StoreDep,
                response: Response) -> UserOut:
    _no_store(response)  # it sets a password
    tenant = _grantable(principal, body.role, body.tenant)
    mark_tenant(request, tenant)
    with store.session(write=True) as session:
        row = accounts.create_user(session, username=body.username, password=body.password, role=body.role,
                                   tenant=tenant, display_name=body.display_name)
        return _user_out(row, tenant)


@router.delete("/users/{username}", tags=["tenants"], response_model=UserOut,
               summary="Disable a user and end its sessions at once (the user is kept, for the audit log)")
def disable_user(username: Annotated[str, Path(min_length=1, max_length=64)], request: Request,
                 principal: WriterDep, store: StoreDep, tenant: TenantQuery = None) -> UserOut:
    # writers only (viewers were refused, 403); usernames are per tenant: operators may name it
    scope = visible_tenant(principal, tenant)
    with store.session(write=True) as session:
        row, tenant, revoked = accounts.disable_user(session, username, scope)
        mark_tenant(request, tenant)
        out = _user_out(row, tenant)
    for prefix in revoked:
        request.app.state.authenticator.forget(prefix)
    return out


def _tenant_out(info: accounts.TenantInfo) -> TenantOut:
    return TenantOut(name=info.name, kind=info.kind, display_name=info.display_name, created_at=info.created_at)


@router.get("/tenants", tags=["tenants"], response_model=list[TenantOut],
            summary="Tenants: every one for operators, your own for tenant roles")
def list_tenants(principal: PrincipalDep, store: StoreDep, response: Response, page: PageDep,
                 kind: Filter = None) -> list[TenantOut]:
    with store.session() as session:
        tenants = [_tenant_out(t) for t in accounts.tenant_infos(session, principal)]
    return paged(response, [t for t in tenants if kind is None or t.kind == kind], page)


@router.get("/tenants/{name}", tags=["tenants"], response_model=TenantOut, summary="One tenant")
def get_tenant(name: Name, principal: PrincipalDep, store: StoreDep) -> TenantOut:
    visible_tenant(principal, name)
    with store.session() as session:
        return _tenant_out(accounts.tenant_info(session, name))


@router.post("/tenants", tags=["tenants"], response_model=TenantOut, status_code=201, summary="Create a tenant")
def create_tenant(body: TenantCreate, request: Request, principal: OperatorAdminDep, store: StoreDep) -> TenantOut:
    mark_tenant(request, body.name)
    with store.session(write=True) as session:
        return _tenant_out(accounts.add_tenant(session, body.name, body.kind, body.display_name))


@router.get("/audit", tags=["auth"], response_model=list[AuditOut],
            summary="The audit log of writes, newest first (your tenant's; operators: all or ?tenant=)")
def audit_log(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditOut]:
    scope = visible_tenant(principal, tenant)
    with store.session() as session:
        rows = accounts_repo.audit_entries(session, scope, limit)
    return [AuditOut(id=r.id, at=r.at, subject=r.subject, role=r.role, tenant=r.tenant,
                     method=r.method, path=r.path, action=r.action, status=r.status, client=r.client) for r in rows]
