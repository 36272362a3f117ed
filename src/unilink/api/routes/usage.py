"""Usage for people: a site's or a service's traffic with its committed rate and 95th percentile (JSON
and a server-rendered SVG graph), the usage alarms raised now, and the advice on a site's rate with
its one-click plan (docs/usage.md).

Scoping as everywhere: tenant roles see their own (another tenant's site answers 404), operators see
every tenant's and may name one with `?tenant=`. The one-click plan is an ordinary plan made by
`usecases.change_plans.plan_change`: the customer previews and applies it like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from unilink.access.security import Principal
from unilink.api.deps import PrincipalDep, StoreDep, TenantQuery, WriterDep, mark_tenant, visible_tenant
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.engine.plan_views import audience_of, plan_view
from unilink.engine.versions import tenant_intent_head
from unilink.errors import ConflictError, NotFoundError
from unilink.store import usage_alarms_repo
from unilink.store.db import Store
from unilink.usage import advice as usage_advice
from unilink.usage.graph_svg import usage_graph_svg
from unilink.usage.usage_view import (
    Subject,
    UsageGraph,
    graph_range,
    parse_zone,
    service_subject,
    site_subject,
    usage_graph,
)
from unilink.usecases import tenant_views
from unilink.usecases.change_plans import plan_change

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


def _owner(store: Store, principal: Principal, tenant: str | None, kind: str, name: str) -> tuple[str, dict[str, Any]]:
    """(tenant, deployed document) of the visible tenant that has the site or service `name`."""
    for owner in tenant_views.tenants_in_scope(store, visible_tenant(principal, tenant)):
        document = tenant_views.deployed_document(store, owner)
        if any(item.get("name") == name for item in document.get(f"{kind}s", [])):
            return owner, document
    raise NotFoundError(f"no such {kind}", field=kind, value=name, accepted=f"the name of one of your {kind}s")


def _graph(store: Store, principal: Principal, tenant: str | None, kind: str, name: str, q: GraphQuery) -> UsageGraph:
    owner, document = _owner(store, principal, tenant, kind, name)
    subject: Subject = (site_subject if kind == "site" else service_subject)(document, owner, name)
    wanted = graph_range(now=store.clock.now(), range_=q.range_, start=q.start, end=q.end, resolution=q.resolution)
    return usage_graph(store, subject, wanted, parse_zone(q.tz))


def _svg(graph: UsageGraph) -> Response:
    return Response(usage_graph_svg(graph), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=60"})


@router.get("/sites/{site}/usage", summary="A site's traffic down and up, committed rate and 95th percentile")
async def site_usage(site: SiteName, principal: PrincipalDep, store: StoreDep, q: GraphDep,
                     tenant: TenantQuery = None) -> dict[str, Any]:
    return (await run_in_threadpool(_graph, store, principal, tenant, "site", site, q)).to_dict()


@router.get("/sites/{site}/usage.svg", summary="A site's usage graph (SVG)", response_class=Response, responses=SVG)
async def site_usage_svg(site: SiteName, principal: PrincipalDep, store: StoreDep, q: GraphDep,
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
    with store.session() as session:
        found = usage_alarms_repo.raised(session, visible_tenant(principal, tenant))
    return [{"tenant": t, "site": s, "direction": d, "raised_at": a.raised_at.isoformat() if a.raised_at else None,
             "peak_bps": a.peak_bps} for (t, s, d), a in found]


def site_advice(store: Store, principal: Principal, tenant: str | None, site: str) -> usage_advice.Advice | None:
    """The advice on one visible site (None: nothing to suggest), its change made on the latest intent."""
    owner, document = _owner(store, principal, tenant, "site", site)
    with store.session() as session:
        head = tenant_intent_head(session, owner)
    return usage_advice.site_advice(store, document, owner, site, store.load_network().pop_index(),
                                    store.clock.now(), latest=head.document)


def plan_advice(store: Store, principal: Principal, tenant: str | None, site: str) -> Any:
    """The plan of the site's advice (ConflictError when there is nothing to suggest)."""
    found = site_advice(store, principal, tenant, site)
    if found is None:
        raise ConflictError("no advice for this site now: its use is neither near its rate nor under half of it",
                            field="site", value=site, accepted="a site with advice (GET …/advice)")
    with store.session() as session:
        base = tenant_intent_head(session, found.tenant).version
    return plan_change(store, found.tenant, found.document, actor=principal.subject, base_version=base)


@router.get("/sites/{site}/advice", summary="Advice on a site's rate from its busy hours, with the price")
async def get_advice(site: SiteName, principal: PrincipalDep, store: StoreDep,
                     tenant: TenantQuery = None) -> dict[str, Any]:
    found = await run_in_threadpool(site_advice, store, principal, tenant, site)
    return {"site": site, "advice": found.to_dict() if found else None}


@router.post("/sites/{site}/advice/plan", status_code=201,
             summary="Plan the advised change in one click (an ordinary plan: preview it, then apply it)")
async def plan_from_advice(site: SiteName, request: Request, principal: WriterDep, store: StoreDep,
                           tenant: TenantQuery = None) -> dict[str, Any]:
    made = await run_in_threadpool(plan_advice, store, principal, tenant, site)
    mark_tenant(request, made.content["tenant"])
    return plan_view(made.content, diffs=False, audience=audience_of(principal))
