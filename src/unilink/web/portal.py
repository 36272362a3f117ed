"""The web portal: server-rendered pages for tenants (sites, change → plan → apply, history, orders)
and operators (the backbone's utilisation, tenants). `mount_portal(app)` adds it to the API app.

Every page is an adapter over the application services of `unilink.usecases`, as the API and the
CLI are: a change (plan, apply, revert, cancel an order) records the same history and events
whichever way it came, and a read (sites, services, orders, history, a plan) is the API's own
(`usecases.tenant_views`). Accounts, login and the scoping rules are `unilink.access`'s, the event
stream `unilink.events.stream`'s. Who may see what is decided there and in the views' visibility
checks; the portal never decides it, it only draws it.
Forms POST (the whole flow works without JavaScript); the one script adds live refresh from the
server-sent-events stream.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from unilink.access import accounts
from unilink.access.login import LoginRequest, password_login
from unilink.access.scope import (
    TenantQuery,
    acting_tenant,
    get_store,
    mark_tenant,
    require_operator,
    require_writer,
    visible_tenant,
)
from unilink.access.security import Principal
from unilink.engine import core as engine_core
from unilink.engine.plan_views import audience_of, plan_view
from unilink.errors import InfeasibleError, UnilinkError, ValidationError
from unilink.events.stream import event_stream
from unilink.services.order_states import OPEN_STATES
from unilink.store.db import Store
from unilink.usecases import order_moves, tenant_views
from unilink.usecases.change_plans import plan_change, revert_to
from unilink.usecases.plan_applying import apply_plan as apply_change
from unilink.web import forms, views
from unilink.web.session import (
    COOKIE_NAME,
    SIGN_IN_NOTICES,
    SignInRequired,
    clear_session,
    end_session,
    portal_principal,
    principal_for,
    same_origin,
    set_session,
)

log = logging.getLogger("unilink.web")
WEB_DIR = Path(__file__).resolve().parent
PREFIX = "/portal"
MAX_FORM_BYTES = 64_000
PLAN_ID_RE = re.compile(r"^p-[0-9]{14}-[0-9a-f]{8}$")
# Pages load only what this server sends (no inline script or style anywhere), are never framed,
# and tenant data is never kept in a shared cache.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
templates.env.filters.update(views.FILTERS)
templates.env.globals["PREFIX"] = PREFIX


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _error_page(request: Request, status: int, title: str, error: dict[str, Any]) -> HTMLResponse:
    return _page(request, "error.html", {"title": title, "error": error, "status": status}, status_code=status)


class PortalRoute(APIRoute):
    """Turns every refusal into a page a person can read (the API answers problem+json instead)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            response = await self._answer(handler, request)
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return guarded

    @staticmethod
    async def _answer(handler: Callable[[Request], Awaitable[Response]], request: Request) -> Response:
        try:
            return await handler(request)
        except SignInRequired as exc:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{PREFIX}/sign-in?{urlencode({'next': target, 'why': exc.reason})}",
                                    status_code=303)
        except UnilinkError as exc:
            title = {404: "Not found", 409: "Conflict"}.get(exc.http_status, "Refused")
            return _error_page(request, exc.http_status, title, views.error_dict(exc))
        except RequestValidationError as exc:
            first = exc.errors()[0] if exc.errors() else {}
            field = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
            return _error_page(request, 422, "Refused", {"message": first.get("msg", "invalid input"),
                                                         "field": field, "value": first.get("input")})
        except HTTPException as exc:
            titles = {403: "Not allowed", 404: "Not found", 429: "Too many requests"}
            return _error_page(request, exc.status_code, titles.get(exc.status_code, "Refused"),
                               {"message": str(exc.detail)})
        except Exception:  # a bug: the trace goes to the server log, the person gets a plain page
            log.exception("unexpected error on %s %s", request.method, request.url.path)
            return _error_page(request, 500, "Something went wrong",
                               {"message": "The server could not show this page; the problem has been logged."})


router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)
root_router = APIRouter(include_in_schema=False)

PrincipalDep = Annotated[Principal, Depends(portal_principal)]


def _copy(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of rows built over the process's cached deployed documents, for the page to shape freely."""
    return json.loads(json.dumps(rows))


def _caller_tenant(principal: Principal) -> str | None:
    """The tenant a caller is limited to (None: an operator, who sees every tenant's)."""
    return None if principal.is_operator else principal.tenant


def _store(request: Request) -> Store:
    return get_store(request)


async def _form(request: Request) -> dict[str, str]:
    """An url-encoded form body (the portal's forms are small and flat; first value of each field wins)."""
    if not same_origin(request):
        raise HTTPException(403, "this form was not sent from a page of this site")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise ValidationError("the form is too large", field="form", value=len(body),
                              accepted=f"≤ {MAX_FORM_BYTES} bytes")
    fields: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True):
        fields.setdefault(key, value)
    return fields


def _with_tenant(path: str, principal: Principal, tenant: str | None) -> str:
    """Operators carry the tenant they look at from page to page; tenants never need to."""
    if principal.is_operator and tenant:
        return f"{path}{'&' if '?' in path else '?'}tenant={quote(tenant)}"
    return path


def _base(principal: Principal, tenant: str | None, active: str) -> dict[str, Any]:
    return {"user": principal, "tenant": tenant, "active": active,
            "link": lambda path: _with_tenant(f"{PREFIX}{path}", principal, tenant)}


# -- entry, sign-in, sign-out -----------------------------------------------------------------------

@root_router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/", status_code=303)


@router.get("/")
def home(principal: PrincipalDep) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/network" if principal.is_operator else f"{PREFIX}/sites", status_code=303)


def _safe_next(target: str | None) -> str:
    """Only a path of the portal itself (never another site: no open redirect)."""
    if target and target.startswith(f"{PREFIX}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{PREFIX}/"


@router.get("/sign-in")
def sign_in_page(request: Request, next: Annotated[str | None, Query(max_length=500)] = None,
                 why: str | None = None, tenant: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    # ?tenant= fills the tenant in: a customer's own sign-in link
    return _page(request, "sign_in.html", {"next": _safe_next(next), "notice": SIGN_IN_NOTICES.get(why or ""),
                                           "error": None, "tenant": tenant or ""})


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    fields = await _form(request)
    target = _safe_next(fields.get("next"))
    token = fields.get("token", "").strip()
    username = fields.get("username", "").strip()
    try:
        if token:
            principal = await run_in_threadpool(principal_for, request, token)
            if principal is None:
                raise HTTPException(401, "the token is unknown, revoked or expired")
        elif username:
            body = LoginRequest(username=username, password=fields.get("password", ""),
                                tenant=fields.get("tenant", "").strip() or None)
            minted, _info = await run_in_threadpool(password_login, body, request, _store(request))
            token = minted.token
        else:
            raise ValidationError("give an API token, or a username and password", field="token", value="",
                                  accepted="a token ul_… (unilink token create), or username + password")
    except HTTPException as exc:
        return _page(request, "sign_in.html", {"next": target, "notice": None, "username": username,
                                               "tenant": fields.get("tenant", ""),
                                               "error": {"message": str(exc.detail)}}, status_code=exc.status_code)
    except (UnilinkError, ValueError) as exc:  # ValueError: pydantic refusing the login body's shape
        error = views.error_dict(exc) if isinstance(exc, UnilinkError) else {"message": "username or password "
                                                                             "malformed", "field": "username"}
        return _page(request, "sign_in.html", {"next": target, "notice": None, "username": username,
                                               "tenant": fields.get("tenant", ""), "error": error}, status_code=422)
    response = RedirectResponse(target, status_code=303)
    set_session(response, request, token)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await _form(request)
    token = request.cookies.get(COOKIE_NAME, "").strip()
    if token:
        await run_in_threadpool(end_session, request, token)
    response = RedirectResponse(f"{PREFIX}/sign-in?{urlencode({'why': 'signed-out'})}", status_code=303)
    clear_session(response)
    return response


# -- tenant pages -----------------------------------------------------------------------------------

@router.get("/sites")
def sites_page(request: Request, principal: PrincipalDep, tenant: TenantQuery = None,
               applied: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    store = _store(request)
    scope = visible_tenant(principal, tenant)
    sites = _copy(tenant_views.sites(store, scope))
    services = _copy(tenant_views.services(store, scope))
    orders = tenant_views.orders(store, scope, open_only=True)
    pops = store.load_network().pop_index()
    rows = views.site_rows(sites, services, pops, orders)
    scope = visible_tenant(principal, tenant)
    about = _tenant_info(store, scope) if scope else None
    return _page(request, "sites.html", {**_base(principal, tenant, "sites"), "rows": rows, "scope": scope,
                                         "about": about, "applied": applied})


def _tenant_info(store: Store, name: str) -> accounts.TenantInfo:
    with store.session() as session:
        return accounts.tenant_info(session, name)


@router.get("/services")
def services_page(request: Request, principal: PrincipalDep, tenant: TenantQuery = None) -> HTMLResponse:
    services = _copy(tenant_views.services(_store(request), visible_tenant(principal, tenant)))
    return _page(request, "services.html", {**_base(principal, tenant, "services"),
                                            "services": views.service_rows(services),
                                            "scope": visible_tenant(principal, tenant)})


def _current_document(store: Store, tenant: str) -> tuple[dict[str, Any], int]:
    """What the tenant asked for last (its latest intent), else what is deployed; and the intent version
    it is (the form sends it back as `base_version`: a colleague's change meanwhile refuses the plan)."""
    from unilink.engine.versions import tenant_intent_head

    with store.session() as session:
        head = tenant_intent_head(session, tenant)
    if head.document is not None:
        return head.document, head.version
    return engine_core.status(store, tenant)["deployed"] or {"sites": [], "services": []}, head.version


@router.get("/sites/{site}/change")
def change_form(site: Annotated[str, views.SitePath], request: Request, principal: PrincipalDep,
                tenant: TenantQuery = None) -> HTMLResponse:
    require_writer(principal)
    name = acting_tenant(principal, tenant)
    document, version = _current_document(_store(request), name)
    form = forms.site_form(document, site)
    return _page(request, "change.html", {**_base(principal, tenant, "sites"), "form": form, "acting": name,
                                          "error": None, "error_field": None, "base_version": version})


@router.post("/sites/{site}/change")
async def submit_change(site: Annotated[str, views.SitePath], request: Request, principal: PrincipalDep,
                        tenant: TenantQuery = None) -> Response:
    require_writer(principal)
    fields = await _form(request)
    name = acting_tenant(principal, tenant)
    store = _store(request)
    document, version = await run_in_threadpool(_current_document, store, name)
    base_form = forms.site_form(document, site)
    desired: dict[str, Any] | None = None
    try:
        desired = forms.apply_site_change(document, site, fields, now=_store(request).clock.now())
        base = forms.base_version_of(fields)
        mark_tenant(request, name)
        made = await run_in_threadpool(_plan_form, store, name, desired, principal.subject, base)
    except UnilinkError as exc:
        error = views.error_dict(exc)
        if isinstance(exc, InfeasibleError):
            error["bottleneck"] = views.bottleneck_rows(exc.details)
        error_field = forms.form_field_for(desired or document, site, exc.field)
        error["label"] = forms.field_label(error_field)
        return _page(request, "change.html", {
            **_base(principal, tenant, "sites"), "form": forms.form_from_fields(base_form, fields), "acting": name,
            "error": error, "error_field": error_field, "base_version": version}, status_code=422)
    return RedirectResponse(_with_tenant(f"{PREFIX}/plans/{made.id}", principal, tenant), status_code=303)


def _plan_form(store: Store, tenant: str, document: dict[str, Any], actor: str, base: int | None) -> Any:
    return plan_change(store, tenant, document, actor=actor, base_version=base)


def _plan_id(plan_id: str) -> str:
    if not PLAN_ID_RE.match(plan_id):
        raise ValidationError("not a plan id", field="plan_id", value=plan_id, accepted="p-<14 digits>-<8 hex digits>")
    return plan_id


@router.get("/plans/{plan_id}")
def plan_page(plan_id: str, request: Request, principal: PrincipalDep, tenant: TenantQuery = None) -> HTMLResponse:
    row = tenant_views.visible_plan(_store(request), _plan_id(plan_id), _caller_tenant(principal))
    shown = plan_view(row.content, diffs=True, audience=audience_of(principal))
    return _page(request, "plan.html", {**_base(principal, tenant, "sites"), "plan": views.plan_view(shown)})


@router.post("/plans/{plan_id}/apply")
async def apply_plan(plan_id: str, request: Request, principal: PrincipalDep, tenant: TenantQuery = None) -> Response:
    require_writer(principal)
    fields = await _form(request)
    store = _store(request)
    shown = await run_in_threadpool(tenant_views.visible_plan, store, _plan_id(plan_id), _caller_tenant(principal))
    mark_tenant(request, shown.content["tenant"])
    result = await run_in_threadpool(functools.partial(
        apply_change, store, plan_id, actor=principal.subject, reason=fields.get("reason", "")[:500],
        confirm_removals=fields.get("confirm_removals") == "yes"))
    return RedirectResponse(_with_tenant(f"{PREFIX}/history?applied={result.plan_id}", principal, tenant),
                            status_code=303)


@router.get("/history")
def history_page(request: Request, principal: PrincipalDep, tenant: TenantQuery = None,
                 applied: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    entries = tenant_views.history(_store(request), visible_tenant(principal, tenant), 100)
    return _page(request, "history.html", {**_base(principal, tenant, "history"),
                                           "entries": views.history_rows(entries), "applied": applied,
                                           "scope": visible_tenant(principal, tenant)})


@router.post("/history/revert")
async def revert(request: Request, principal: PrincipalDep, tenant: TenantQuery = None) -> Response:
    """A plan back to an earlier intent version, shown like any plan (nothing changes before Apply)."""
    require_writer(principal)
    fields = await _form(request)
    version = fields.get("version", "")
    if not version.isdigit() or not 1 <= int(version) < 2**31:
        raise ValidationError("not an intent version", field="version", value=version,
                              accepted="a version number shown in the history")
    name = acting_tenant(principal, tenant)
    mark_tenant(request, name)
    made = await run_in_threadpool(functools.partial(revert_to, _store(request), name, int(version),
                                                     actor=principal.subject))
    return RedirectResponse(_with_tenant(f"{PREFIX}/plans/{made.id}", principal, tenant), status_code=303)


@router.post("/orders/{order_id}/cancel")
async def cancel_order(order_id: Annotated[str, views.OrderPath], request: Request, principal: PrincipalDep,
                       tenant: TenantQuery = None) -> Response:
    require_writer(principal)
    await _form(request)
    store = _store(request)
    order = await run_in_threadpool(tenant_views.visible_order, store, order_id, _caller_tenant(principal))
    mark_tenant(request, order["tenant"])
    await run_in_threadpool(functools.partial(order_moves.cancel_order, store, order_id, actor=principal.subject))
    return RedirectResponse(_with_tenant(f"{PREFIX}/orders", principal, tenant), status_code=303)


@router.get("/orders")
def orders_page(request: Request, principal: PrincipalDep, tenant: TenantQuery = None) -> HTMLResponse:
    orders = tenant_views.orders(_store(request), visible_tenant(principal, tenant), open_only=False)
    return _page(request, "orders.html", {**_base(principal, tenant, "orders"), "orders": orders,
                                          "open_states": OPEN_STATES,
                                          "scope": visible_tenant(principal, tenant)})


@router.get("/events")
async def events(request: Request, principal: PrincipalDep, tenant: TenantQuery = None) -> Response:
    """The API's event stream, authenticated by the session cookie (EventSource cannot send a header)."""
    scope = visible_tenant(principal, tenant)
    return await event_stream(request, _store(request), principal, scope, request.headers.get("last-event-id"),
                              True)


# -- operator pages ---------------------------------------------------------------------------------

@router.get("/network")
def network_page(request: Request, principal: PrincipalDep) -> HTMLResponse:
    require_operator(principal)
    from unilink.web.capacity import backbone_now

    now = backbone_now(_store(request))
    return _page(request, "network.html", {**_base(principal, None, "network"), **views.network_view(now)})


@router.get("/network/{kind}.svg")
async def network_picture(kind: str, request: Request, principal: PrincipalDep) -> Response:
    require_operator(principal)
    if kind not in ("map", "histogram", "measured"):
        raise ValidationError("unknown picture", field="kind", value=kind, accepted="map, measured, histogram")
    from unilink.web.capacity import picture_svg

    svg = await run_in_threadpool(picture_svg, _store(request), kind)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=10"})


@router.get("/tenants")
def tenants_page(request: Request, principal: PrincipalDep) -> HTMLResponse:
    require_operator(principal)
    store = _store(request)
    with store.session() as session:
        tenants = accounts.tenant_infos(session, principal)
    sites = _copy(tenant_views.sites(store, visible_tenant(principal, None)))
    services = _copy(tenant_views.services(store, visible_tenant(principal, None)))
    return _page(request, "tenants.html", {**_base(principal, None, "tenants"),
                                           "tenants": views.tenant_rows(tenants, sites, services)})


def mount_portal(app: FastAPI) -> None:
    """Add the portal's pages, its static files and `/` → `/portal/` to the API application."""
    from unilink.web import (
        coop_pages,  # the cooperative campaigns: /c/… (public) and /portal/coop
        invoice_pages,  # a tenant's invoices, their lines, CSV and e-invoice: /portal/invoices
        usage_pages,  # a site's usage graph, alarms and advice: /portal/sites/{site}/usage
        welcome_pages,  # the first start's single-use sign-in link
    )

    app.include_router(router)
    app.include_router(root_router)
    coop_pages.mount(app)
    invoice_pages.mount(app)
    usage_pages.mount(app)
    welcome_pages.mount(app)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(WEB_DIR / "static")), name="portal-static")
