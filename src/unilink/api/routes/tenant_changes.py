"""A tenant's services through the engine: sites, services, intent (GET/PUT), plans, apply, orders,
history, revert, reservations and schedules.

Every change goes through the application services (`unilink.usecases`: plan, apply, revert, order
moves), which record its history and events in the change's own transaction; the reads call
`unilink.engine` (orders, history, status). None reimplements either. A plan or order of another
tenant answers 404.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Header, Path, Query, Request
from fastapi import HTTPException as FastAPIHTTPException
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from unilink import engine
from unilink.access.security import Principal, Role
from unilink.api.deps import (
    OperatorAdminDep,
    PrincipalDep,
    StoreDep,
    TenantQuery,
    WriterDep,
    acting_tenant,
    mark_tenant,
    visible_tenant,
)
from unilink.api.paging import Filter, PageDep, count_headers, matching, page_of, paged
from unilink.api.problems import PROBLEM_RESPONSES
from unilink.api.schemas import Strict
from unilink.engine import core as engine_core
from unilink.engine import holds as engine_holds
from unilink.engine import versions as intent_versions
from unilink.engine.plan_views import audience_of, plan_view
from unilink.errors import NotFoundError, ValidationError
from unilink.store import deployed_repo
from unilink.store.db import Store
from unilink.store.tables.services import PlanRow
from unilink.usecases import order_moves, tenant_views
from unilink.usecases.change_plans import plan_change, revert_to
from unilink.usecases.plan_applying import apply_plan as apply_change

T = TypeVar("T")
router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)

PlanId = Annotated[str, Path(pattern=r"^p-[0-9]{14}-[0-9a-f]{8}$", description="as returned by POST /plans")]
OrderId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]
Reason = Annotated[str, Field(max_length=500)]
MAX_INTENT_BYTES = 1_000_000


class IntentDocument(BaseModel):
    """A tenant's desired state (see docs/intents.md): sites, services, boosts, schedules.

    Validated by the engine, which names the offending field (`sites[3].access.down`)."""

    model_config = {"extra": "allow", "json_schema_extra": {"example": {
        "sites": [{"name": "paris-hq", "pop": "Paris", "access": {"technology": "fibre", "port": "10G",
                                                                 "down": "1G", "up": "1G"}}],
        "services": [{"kind": "internet", "name": "paris-internet", "site": "paris-hq", "rate": "500M"}]}}}

    sites: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)
    services: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)


class PlanOut(BaseModel):
    id: str
    tenant: str
    fingerprint: str
    empty: bool
    summary: list[str]
    changes: dict[str, Any]
    pending: dict[str, Any] | None = Field(None, description="While field work is open: what lands when the "
                                                             "orders complete (same shape as `changes`)")
    price: dict[str, Any] = Field(description="Monthly now (deployed) → after this change → after the pending "
                                              "field work, itemised in `lines`; one-off charges in `one_off`")
    removals: list[dict[str, Any]] = Field(default_factory=list, description="Live sites, services and VPN "
                                           "members the plan takes away, with what they carry: applying it needs "
                                           "`confirm_removals: true`")
    rename_hints: list[str] = Field(default_factory=list, description="A removed name close to an added one")
    cancel_orders: list[dict[str, Any]] = Field(default_factory=list, description="Open orders the change makes "
                                                "pointless: cancelled on apply")
    orders: list[dict[str, Any]]
    new_orders: list[dict[str, Any]]
    bookings: list[dict[str, Any]]
    release: list[Any] = Field(default_factory=list, description="reservations the change gives back")
    devices: dict[str, Any] = Field(description="Per router touched. Operator roles: lines added/removed, and the "
                                                "config diff with ?devices=full. Tenant roles: `changes`, what "
                                                "changes on the tenant's own attachments there (never the "
                                                "router's configuration, which carries other tenants)")
    feasible: bool = Field(True, description="An infeasible plan is not made: the answer is 422 naming the "
                                             "bottleneck")


class ApplyRequest(Strict):
    reason: Reason = ""
    confirm_removals: bool = Field(False, description="Yes, remove: required when the plan's `removals` is not "
                                                      "empty (else 422, field confirm_removals)")


class ApplyOut(BaseModel):
    plan_id: str
    tenant: str
    revision: int
    intent_version: int | None
    routers: list[str]
    orders: list[str]
    reservations: int
    cancelled_orders: list[str] = Field(default_factory=list)


class RevertRequest(Strict):
    version: int = Field(ge=1, le=2**31 - 1)


class OrderStateRequest(Strict):
    state: Literal["inProgress", "held", "pending", "failed", "cancelled", "completed"]


# -- helpers -----------------------------------------------------------------------------------------

def _actor(principal: Principal) -> str:
    return principal.subject


def _tenants_in_scope(store: Store, principal: Principal, tenant: str | None) -> list[str]:
    return tenant_views.tenants_in_scope(store, visible_tenant(principal, tenant))


def _plan_out(content: dict[str, Any], devices: str, principal: Principal) -> dict[str, Any]:
    """The plan as `principal` may read it: tenants never get router configs (see engine.plan_views)."""
    return plan_view(content, diffs=devices == "full", audience=audience_of(principal))


def visible_plan(store: Store, principal: Principal, plan_id: str) -> PlanRow:
    """The plan, when `principal` may see it (NotFoundError otherwise: another tenant's plan is a 404)."""
    return _visible_plan(store, principal, plan_id)


def _caller_tenant(principal: Principal) -> str | None:
    """The tenant a caller is limited to (None: an operator, who sees every tenant's)."""
    return None if principal.is_operator else principal.tenant


def _visible_plan(store: Store, principal: Principal, plan_id: str) -> PlanRow:
    return tenant_views.visible_plan(store, plan_id, _caller_tenant(principal))


def visible_order(store: Store, principal: Principal, order_id: str) -> dict[str, Any]:
    """The order, when `principal` may see it (NotFoundError otherwise)."""
    return _visible_order(store, principal, order_id)


def _visible_order(store: Store, principal: Principal, order_id: str) -> dict[str, Any]:
    return tenant_views.visible_order(store, order_id, _caller_tenant(principal))


# Plans run one at a time per process anyway (the engine's lock). On the request threadpool, every
# waiting request held a thread that woke, took Python's lock, found the engine busy and slept again;
# one engine thread fed by the event loop does the same work without that traffic.
_ENGINE_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")


async def in_engine_thread(func: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_ENGINE_THREAD, functools.partial(func, *args))


def _make_plan(store: Store, principal: Principal, tenant: str, document: dict[str, Any],
               installed: bool, base: int | None = None) -> engine.Plan:
    if installed and principal.role is not Role.OPERATOR_ADMIN:
        raise ValidationError("only operator-admin may take accesses as installed", field="installed", value=True,
                              accepted="false")
    # A plan changes nothing, so it records no event (events are state changes); apply does.
    return plan_change(store, tenant, document, actor=_actor(principal), accesses_installed=installed,
                       base_version=base)


# -- sites, services, schedules: what is deployed ----------------------------------------------------

def _sites(store: Store, principal: Principal, tenant: str | None) -> list[dict[str, Any]]:
    return tenant_views.sites(store, visible_tenant(principal, tenant))


def list_sites(principal: Principal, store: Store, tenant: str | None = None) -> JSONResponse:
    """The sites a caller may see, as a ready JSON answer (a plain function: the portal calls it)."""
    return JSONResponse(_sites(store, principal, tenant))


@router.get("/sites", tags=["services"], summary="Sites in service, with their accesses",
            response_model=list[dict[str, Any]], operation_id="list_sites")
async def read_sites(principal: PrincipalDep, store: StoreDep, page: PageDep, tenant: TenantQuery = None,
                     pop: Filter = None) -> Response:
    # The hot read path: a tenant's own sites from the cache without a thread hop, a query or even JSON
    # encoding when fresh (the encoded answer is kept with the document it was made from).
    scope = visible_tenant(principal, tenant)
    document = tenant_views.deployed.fresh(store, scope) if scope is not None else None
    if document is not None and page.whole and pop is None:
        encoded = document.get("_sites_json")
        if encoded is None:
            encoded = document["_sites_json"] = JSONResponse(tenant_views.site_rows(scope, document)).body
        answer = Response(encoded, media_type="application/json")
        count = len(document.get("sites", []))
        count_headers(answer, total=count, returned=count)
        return answer
    sites = matching(await run_in_threadpool(_sites, store, principal, tenant), pop=pop)
    chosen = page_of(sites, page)
    answer = JSONResponse(chosen)
    count_headers(answer, total=len(sites), returned=len(chosen))
    return answer


@router.get("/sites/{site}", tags=["services"], summary="One site")
def get_site(site: Annotated[str, Path(max_length=64)], principal: PrincipalDep, store: StoreDep,
             tenant: TenantQuery = None) -> dict[str, Any]:
    return _named(_sites(store, principal, tenant), "site", site)


def _named(items: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """The item called `name` among the caller's own; another tenant's is as absent as a missing one."""
    for item in items:
        if item["name"] == name:
            return item
    raise NotFoundError(f"no such {kind}", field=kind, value=name, accepted=f"the name of one of your {kind}s")


def _services(store: Store, principal: Principal, tenant: str | None) -> list[dict[str, Any]]:
    return tenant_views.services(store, visible_tenant(principal, tenant))


@router.get("/services", tags=["services"], summary="Services in place (internet, ipvpn, eline)",
            response_model=list[dict[str, Any]])
def list_services(principal: PrincipalDep, store: StoreDep, response: Response, page: PageDep,
                  tenant: TenantQuery = None, kind: Filter = None, site: Filter = None) -> list[dict[str, Any]]:
    services = matching(_services(store, principal, tenant), kind=kind)
    if site is not None:  # an E-Line or a VPN has several sites: any of them
        services = [s for s in services if site in _sites_of(s)]
    return paged(response, services, page)


def _sites_of(service: dict[str, Any]) -> set[str]:
    ends = {service.get("site"), service.get("a"), service.get("b")}
    return {m["site"] for m in service.get("members") or []} | {e for e in ends if e}


@router.get("/services/{service}", tags=["services"], summary="One service")
def get_service(service: Annotated[str, Path(max_length=64)], principal: PrincipalDep, store: StoreDep,
                tenant: TenantQuery = None) -> dict[str, Any]:
    return _named(_services(store, principal, tenant), "service", service)


@router.get("/schedules", tags=["services"], summary="Boosts and scheduled changes in the tenant's intent")
def list_schedules(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None) -> list[dict[str, Any]]:
    out = []
    for name in _tenants_in_scope(store, principal, tenant):
        document = tenant_views.deployed_document(store, name)
        out += [{"tenant": name, "type": "boost", **b} for b in document.get("boosts", [])]
        out += [{"tenant": name, "type": "schedule", **s} for s in document.get("schedules", [])]
    return out


@router.get("/reservations", tags=["services"], summary="Bandwidth reserved on backbone links, per service")
def list_reservations(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None,
                      limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[dict[str, Any]]:
    scope = visible_tenant(principal, tenant)
    with store.session() as session:
        rows = deployed_repo.reservations(session, scope, limit)
    return [{"id": r.id, "tenant": name, "service": r.service, "link": r.link, "direction": r.direction,
             "bps": r.bps, "start_at": r.start_at, "end_at": r.end_at,
             "priority": r.priority} for r, name in rows]


@router.get("/status", tags=["services"], summary="What is deployed for a tenant: revision, intent version, orders")
def status(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None) -> dict[str, Any]:
    return engine_core.status(store, acting_tenant(principal, tenant))


# -- intent ------------------------------------------------------------------------------------------

@router.get("/intent", tags=["intents"], summary="The tenant's latest desired-state document (null if none yet); "
            "its version in the ETag header, to send back as If-Match")
def get_intent(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None) -> JSONResponse:
    with store.session() as session:
        head = intent_versions.tenant_intent_head(session, acting_tenant(principal, tenant))
    return JSONResponse(head.document, headers={"ETag": f'"{head.version}"'})


@router.get("/intent/versions/{version}", tags=["intents"], summary="An earlier version of the intent")
def get_intent_version(version: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: PrincipalDep, store: StoreDep,
                       tenant: TenantQuery = None) -> dict[str, Any]:
    return engine_core.intent_version(store, acting_tenant(principal, tenant), version)


IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40,
                                       description='The intent version the document starts from: the ETag of '
                                                   'GET /intent, e.g. "4" (or `base_version` in the body)')]


def _base_version(if_match: str | None, body_base: int | None) -> int | None:
    """The base version from If-Match and/or the body's `base_version` (None: neither, last write wins)."""
    header = None
    if if_match is not None and if_match.strip() != "*":
        text = if_match.strip().removeprefix("W/").strip('"')
        header = intent_versions.parse_version(text, field="If-Match")
    if header is not None and body_base is not None and header != body_base:
        raise ValidationError("If-Match and base_version name different versions", field="base_version",
                              value=body_base, accepted=f"the If-Match version, {header}, or only one of them")
    return header if header is not None else body_base


@router.put("/intent", tags=["intents"], response_model=PlanOut,
            summary="Set the desired state: answers the plan that would bring the network there (apply it next); "
                    "409 when If-Match (or base_version) is not the latest intent version")
def put_intent(document: IntentDocument, request: Request, principal: WriterDep, store: StoreDep,
               tenant: TenantQuery = None, if_match: IfMatch = None,
               devices: Annotated[Literal["summary", "full"], Query()] = "summary") -> dict[str, Any]:
    name = acting_tenant(principal, tenant)
    mark_tenant(request, name)
    data, body_base = _document(document)
    made = _make_plan(store, principal, name, data, installed=False, base=_base_version(if_match, body_base))
    return _plan_out(made.content, devices, principal)


MERGE_PATCH = "application/merge-patch+json"


@router.patch("/intent", tags=["intents"], response_model=PlanOut,
              summary="Change part of the desired state (JSON Merge Patch, RFC 7396; a list is replaced whole): "
                      "answers the plan, like PUT; 409 when If-Match is not the latest intent version",
              openapi_extra={"requestBody": {"content": {MERGE_PATCH: {"schema": {"type": "object"}}}}},
              responses={415: {**PROBLEM_RESPONSES[422], "description": f"Not {MERGE_PATCH}"}})
def patch_intent(patch: Annotated[dict[str, Any], Body()], request: Request, principal: WriterDep, store: StoreDep,
                 tenant: TenantQuery = None, if_match: IfMatch = None,
                 devices: Annotated[Literal["summary", "full"], Query()] = "summary") -> dict[str, Any]:
    name = acting_tenant(principal, tenant)  # another tenant's intent: 404 whatever the body
    mark_tenant(request, name)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != MERGE_PATCH:
        raise FastAPIHTTPException(415, f"PATCH /intent takes Content-Type: {MERGE_PATCH}")
    patch, body_base = intent_versions.pop_base_version(patch)
    base = _base_version(if_match, body_base)
    with store.session() as session:
        head = intent_versions.tenant_intent_head(session, name)
    intent_versions.check_base(head, base)  # the patch applies to what the caller read, or not at all
    merged = intent_versions.merge_patch(head.document or {}, patch)
    made = _make_plan(store, principal, name, IntentDocument.model_validate(merged).model_dump(exclude_unset=True),
                      installed=False, base=head.version)
    return _plan_out(made.content, devices, principal)


def _document(document: IntentDocument) -> tuple[dict[str, Any], int | None]:
    """The intent document as sent, without its `base_version` (an extra key), and that version."""
    return intent_versions.pop_base_version(document.model_dump(exclude_unset=True))


# -- plans and apply ---------------------------------------------------------------------------------

@router.post("/plans", tags=["plans"], response_model=PlanOut, status_code=201,
             summary="Plan a desired state: diff, feasibility (422 naming the bottleneck), price, device diffs")
async def create_plan(document: Annotated[IntentDocument, Body()], request: Request, principal: WriterDep,
                      store: StoreDep, tenant: TenantQuery = None,
                      devices: Annotated[Literal["summary", "full"], Query()] = "summary",
                      installed: Annotated[bool, Query(description="operator-admin: accesses already in place")]
                      = False, if_match: IfMatch = None) -> dict[str, Any]:
    name = acting_tenant(principal, tenant)
    mark_tenant(request, name)
    data, body_base = _document(document)
    made = await in_engine_thread(_make_plan, store, principal, name, data, installed,
                                  _base_version(if_match, body_base))
    return _plan_out(made.content, devices, principal)


@router.get("/plans/{plan_id}", tags=["plans"], response_model=PlanOut, summary="A plan, as it was shown")
def get_plan(plan_id: PlanId, principal: PrincipalDep, store: StoreDep,
             devices: Annotated[Literal["summary", "full"], Query()] = "summary") -> dict[str, Any]:
    return _plan_out(_visible_plan(store, principal, plan_id).content, devices, principal)


@router.post("/plans/{plan_id}/apply", tags=["plans"], response_model=ApplyOut,
             summary="Apply exactly this plan (409 when it is stale: the state changed since)")
def apply_plan(plan_id: PlanId, request: Request, principal: WriterDep, store: StoreDep,
               body: ApplyRequest | None = None) -> dict[str, Any]:
    row = _visible_plan(store, principal, plan_id)
    tenant = row.content["tenant"]
    mark_tenant(request, tenant)
    result = apply_change(store, plan_id, actor=_actor(principal), reason=(body.reason if body else ""),
                          confirm_removals=bool(body and body.confirm_removals))
    return result.to_dict()


@router.post("/plans/{plan_id}/cancel", tags=["plans"],
             summary="Cancel a ready plan: it can no longer be applied, and what it holds is released")
def cancel_plan(plan_id: PlanId, request: Request, principal: WriterDep, store: StoreDep) -> dict[str, Any]:
    row = _visible_plan(store, principal, plan_id)
    mark_tenant(request, row.content["tenant"])
    return engine_holds.cancel(store, plan_id)


# -- orders ------------------------------------------------------------------------------------------

@router.get("/orders", tags=["orders"], summary="Field-work orders (TMF641 states)")
def list_orders(principal: PrincipalDep, store: StoreDep, response: Response, page: PageDep,
                tenant: TenantQuery = None, open_only: Annotated[bool, Query(alias="open")] = False,
                state: Filter = None, site: Filter = None) -> list[dict[str, Any]]:
    orders = tenant_views.orders(store, visible_tenant(principal, tenant), open_only=open_only)
    return paged(response, matching(orders, state=state, site=site), page)


@router.get("/orders/{order_id}", tags=["orders"], summary="One order")
def get_order(order_id: OrderId, principal: PrincipalDep, store: StoreDep) -> dict[str, Any]:
    return _visible_order(store, principal, order_id)


@router.post("/orders/{order_id}/cancel", tags=["orders"], summary="Cancel an order that is not finished")
def cancel_order(order_id: OrderId, request: Request, principal: WriterDep, store: StoreDep) -> dict[str, Any]:
    order = _visible_order(store, principal, order_id)
    mark_tenant(request, order["tenant"])
    return order_moves.cancel_order(store, order_id, actor=_actor(principal))


@router.post("/orders/{order_id}/state", tags=["orders"],
             summary="Operator: move an order along its lifecycle; completed applies the logical part "
                     "(answered in `applied`: the apply's result, or null when nothing was left to apply)")
def set_order_state(order_id: OrderId, body: OrderStateRequest, request: Request, principal: OperatorAdminDep,
                    store: StoreDep) -> dict[str, Any]:
    order = _visible_order(store, principal, order_id)
    mark_tenant(request, order["tenant"])
    moved, result = order_moves.move_order(store, order_id, body.state, actor=_actor(principal))
    if body.state != "completed":
        return moved
    return {**moved, "applied": result.to_dict() if result else None}


# -- history and revert ------------------------------------------------------------------------------

@router.get("/history", tags=["history"], summary="Changes, newest first: who, when, why, what")
def history(principal: PrincipalDep, store: StoreDep, tenant: TenantQuery = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    return tenant_views.history(store, visible_tenant(principal, tenant), limit)


@router.post("/revert", tags=["history"], response_model=PlanOut, status_code=201,
             summary="A plan back to an earlier intent version (apply it like any plan)")
def revert(body: RevertRequest, request: Request, principal: WriterDep, store: StoreDep,
           tenant: TenantQuery = None) -> dict[str, Any]:
    name = acting_tenant(principal, tenant)
    mark_tenant(request, name)
    made = revert_to(store, name, body.version, actor=_actor(principal))
    return _plan_out(made.content, "summary", principal)
