"""Usage for people: a site's or a service's traffic with its committed rate and 95th percentile (JSON
and a server-rendered SVG graph), the usage alarms raised now, and the advice on a site's rate with
its one-click plan (docs/usage.md).

Scoping as everywhere: tenant roles see their own (another tenant's site answers 404), operators see
every tenant's and may name one with `?tenant=`. Every answer comes from `usecases.site_usage`, as the
portal's does; the one-click plan is an ordinary plan (`change_plans.plan_change`): the customer
previews and applies it like any other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from unilink.access.security import Principal
from unilink.api.deps import PrincipalDep, StoreDep, TenantQuery, WriterDep, mark_tenant, visible_tenant
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.engine.plan_views import audience_of, plan_view
from unilink.store.db import Store
from unilink.usage.usage_view import UsageGraph
from unilink.usecases import site_usage

router = APIRouter(prefix="/api/v1", tags=["usage"], responses=PROBLEM_RESPONSES)
SiteName = Annotated[str, Path(max_length=64)]
SVG = {200: {"content": {"image/svg+xml": {}}}}


@dataclass(frozen=True, slots=True)
class GraphQuery:
    range_: str | None
    start: str | None
    end: str | None
    resolution: int | None
    tz: str | None


def graph_query(range_: Annotated[str | None, Query(alias="range", max_length=10,
                                                    description="24h (5-minute samples), 7d or 30d (hourly)")] = None,
                start: Annotated[str | None, Query(max_length=40, description="ISO 8601 with its zone")] = None,
                end: Annotated[str | None, Query(max_length=40)] = None,
                resolution: Annotated[int | None, Query(description="300, 3600 or 86400 s; default: "
                                                                    "from the range")] = None,
                tz: Annotated[str | None, Query(max_length=64, description="the dates' zone, "
                                                                           "default Europe/Paris")] = None
                ) -> GraphQuery:
    return GraphQuery(range_, start, end, resolution, tz)


GraphDep = Annotated[GraphQuery, Depends(graph_query)]


def _graph(store: Store, principal: Principal, tenant: str | None, kind: str, name: str, q: GraphQuery) -> UsageGraph:
    return site_usage.graph(store, visible_tenant(principal, tenant), kind, name, range_=q.range_, start=q.start,
                            end=q.end, resolution=q.resolution, tz=q.tz)


def _svg(graph: UsageGraph) -> Response:
    return Response(site_usage.graph_svg(graph), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=60"})


@router.get("/sites/{site}/usage", summary="A site's traffic down and up, committed rate and 95th percentile")
async def read_site_usage(site: SiteName, principal: PrincipalDep, store: StoreDep, q: GraphDep,
                     tenant: TenantQuery = None) -> dict[str, Any]:
    return (await run_in_threadpool(_graph, store, principal, tenant, "site", site, q)).to_dict()


@router.get("/sites/{site}/usage.svg", summary="A site's usage graph (SVG)", response_class=Response, responses=SVG)
async def read_site_usage_svg(site: SiteName, principal: PrincipalDep, store: StoreDep, q: GraphDep,
                         tenant: TenantQuery = None) -> Response:
    return _svg(await run_in_threadpool(_graph, store, principal, tenant, "site", site, q))


@router.get("/services/{service}/usage", summary="A service's traffic, committed rate and 95th percentile")
async def service_usage(service: SiteName, principal: PrincipalDep, store: StoreDep, q: GraphDep,
                        tenant: TenantQuery = None) -> dict[str, Any]:
    return (await run_in_threadpool(_graph, store, principal, tenant, "service", service, q)).to_dict()


@router.get("/services/{service}/usage.svg", summary="A service's usage graph (SVG)", response_class=Response,
            responses=SVG)
async def service_usage_svg(service: SiteName, principal: PrincipalDep, store: StoreDep, q: GraphDep,
                            tenant: TenantQuery = None) -> Response:
    return _svg(await run_in_threadpool(_graph, store, principal, tenant, "service", service, q))


@router.get("/usage/alarms", summary="Usage alarms raised now (sustained use above the threshold)")
def alarms(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None) -> list[dict[str, Any]]:
    return site_usage.alarms(store, visible_tenant(principal, tenant))


@router.get("/sites/{site}/advice", summary="Advice on a site's rate from its busy hours, with the price")
async def get_advice(site: SiteName, principal: PrincipalDep, store: StoreDep,
                     tenant: TenantQuery = None) -> dict[str, Any]:
    found = await run_in_threadpool(site_usage.advice, store, visible_tenant(principal, tenant), site)
    return {"site": site, "advice": found.to_dict() if found else None}


@router.post("/sites/{site}/advice/plan", status_code=201,
             summary="Plan the advised change in one click (an ordinary plan: preview it, then apply it)")
async def plan_from_advice(site: SiteName, request: Request, principal: WriterDep, store: StoreDep,
                           tenant: TenantQuery = None) -> dict[str, Any]:
    made = await run_in_threadpool(functools.partial(site_usage.plan_advice, store, visible_tenant(principal, tenant),
                                                     site, actor=principal.subject))
    mark_tenant(request, made.content["tenant"])
    return plan_view(made.content, diffs=False, audience=audience_of(principal))
