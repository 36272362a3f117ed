"""A site's usage in the portal (docs/usage.md): the graph drawn on the server (inline SVG, readable
without JavaScript), the committed rate and 95th percentile, the alarms raised now and the advice on
its rate, whose button plans the change in one click — the customer then previews and applies that
plan like any other. Everything comes from `unilink.usecases.site_usage`, as the API's does.

    GET  /portal/sites/{site}/usage?range=24h|7d|30d[&tenant=]
    POST /portal/sites/{site}/usage/plan       → 303 to the plan's page
"""

from __future__ import annotations

import functools
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from unilink.access.scope import TenantQuery, mark_tenant, require_writer, visible_tenant
from unilink.errors import UnilinkError
from unilink.usecases import site_usage
from unilink.web import views
from unilink.web.portal import PREFIX, PortalRoute, PrincipalDep, _base, _form, _page, _store, _with_tenant

router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)
RANGES = ("24h", "7d", "30d")
RangeQuery = Annotated[str, Query(alias="range", max_length=10)]


@router.get("/sites/{site}/usage")
def usage_page(site: Annotated[str, views.SitePath], request: Request, principal: PrincipalDep,
               tenant: TenantQuery = None, range_: RangeQuery = "24h") -> HTMLResponse:
    store = _store(request)
    scope = visible_tenant(principal, tenant)
    graph = site_usage.graph(store, scope, "site", site, range_=range_)
    advice = site_usage.advice(store, scope, site)
    context = {**_base(principal, tenant, "sites"), "site": site, "owner": graph.subject.tenant, "range": range_,
               "ranges": RANGES, "graph": graph.to_dict(), "svg": Markup(site_usage.graph_svg(graph)),
               "alarms": site_usage.alarms(store, graph.subject.tenant, site),
               "advice": advice.to_dict() if advice else None, "error": None}
    return _page(request, "usage_site.html", context)


@router.post("/sites/{site}/usage/plan")
async def plan_from_advice(site: Annotated[str, views.SitePath], request: Request, principal: PrincipalDep,
                           tenant: TenantQuery = None) -> Response:
    require_writer(principal)
    await _form(request)
    scope = visible_tenant(principal, tenant)
    try:
        made = await run_in_threadpool(functools.partial(site_usage.plan_advice, _store(request), scope, site,
                                                         actor=principal.subject))
    except UnilinkError as exc:
        if exc.http_status == 404:
            raise
        return _page(request, "error.html", {"title": "Refused", "error": views.error_dict(exc),
                                             "status": exc.http_status}, status_code=exc.http_status)
    mark_tenant(request, made.content["tenant"])
    return RedirectResponse(_with_tenant(f"{PREFIX}/plans/{made.id}", principal, tenant), status_code=303)


def mount(app: FastAPI) -> None:
    """Add the usage pages (called by `web.portal.mount_portal`)."""
    app.include_router(router)
