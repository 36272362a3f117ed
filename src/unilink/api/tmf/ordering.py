"""TMF641 Service Ordering v4 at /tmf-api/serviceOrdering/v4: serviceOrder (create, list, get, patch),
cancelServiceOrder (create, list, get), hub. Orders go through `usecases.tmf_orders`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import JSONResponse

from unilink.access.security import Principal
from unilink.api.deps import PrincipalDep, StoreDep, TenantQuery, WriterDep, acting_tenant, mark_tenant, visible_tenant
from unilink.api.routes.tenant_changes import in_engine_thread  # plans run on the engine's thread
from unilink.api.tmf.common import TmfRoute, base_url, list_response, one_response, read_body
from unilink.api.tmf.hub import add_hub_routes
from unilink.services import tmf_mapping as tmf
from unilink.usecases import tmf_orders

router = APIRouter(prefix=tmf.ORDERING, route_class=TmfRoute, tags=["TMF641"])
OrderId = Annotated[str, Path(min_length=1, max_length=40)]


def _caller(principal: Principal) -> str | None:
    return None if principal.is_operator else principal.tenant


def _out(request: Request, found: dict[str, Any]) -> dict[str, Any]:
    return tmf.render_order(found["id"], found["state"], found["stored"], base_url(request))


def _cancel_out(request: Request, found: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in found.items() if k != "tenant"}
    out["href"] = f"{base_url(request)}{tmf.ORDERING}/cancelServiceOrder/{found['id']}"
    out["serviceOrder"] = {**out["serviceOrder"], "href": base_url(request) + out["serviceOrder"]["href"]}
    out["@type"] = "CancelServiceOrder"
    return out


@router.get("/serviceOrder", summary="List or find ServiceOrder objects")
def list_service_orders(request: Request, principal: PrincipalDep, store: StoreDep,
                        tenant: TenantQuery = None) -> JSONResponse:
    found = tmf_orders.list_orders(store, visible_tenant(principal, tenant))
    return list_response(request, [_out(request, f) for f in found])


@router.post("/serviceOrder", status_code=201, summary="Creates a ServiceOrder")
async def create_service_order(raw: Annotated[Any, Body()], request: Request, principal: WriterDep,
                               store: StoreDep, tenant: TenantQuery = None) -> JSONResponse:
    body = read_body(raw, "ServiceOrder_Create")
    name = acting_tenant(principal, tenant)
    mark_tenant(request, name)
    found = await in_engine_thread(lambda: tmf_orders.create_order(store, name, body, actor=principal.subject))
    return one_response(request, _out(request, found), 201)


@router.get("/serviceOrder/{id}", summary="Retrieves a ServiceOrder by ID")
def retrieve_service_order(id: OrderId, request: Request, principal: PrincipalDep, store: StoreDep) -> JSONResponse:
    return one_response(request, _out(request, tmf_orders.get_order(store, id, _caller(principal))))


@router.patch("/serviceOrder/{id}", summary="Updates partially a ServiceOrder")
def patch_service_order(id: OrderId, raw: Annotated[Any, Body()], request: Request, principal: WriterDep,
                        store: StoreDep) -> JSONResponse:
    body = read_body(raw, "ServiceOrder_Update")
    current = tmf_orders.get_order(store, id, _caller(principal))
    mark_tenant(request, current["tenant"])
    return one_response(request, _out(request, tmf_orders.patch_order(store, id, _caller(principal), body)))


@router.get("/cancelServiceOrder", summary="List or find CancelServiceOrder objects")
def list_cancel_service_orders(request: Request, principal: PrincipalDep, store: StoreDep,
                               tenant: TenantQuery = None) -> JSONResponse:
    found = tmf_orders.list_cancels(store, visible_tenant(principal, tenant))
    return list_response(request, [_cancel_out(request, f) for f in found])


@router.post("/cancelServiceOrder", status_code=201, summary="Creates a CancelServiceOrder")
async def create_cancel_service_order(raw: Annotated[Any, Body()], request: Request, principal: WriterDep,
                                      store: StoreDep) -> JSONResponse:
    body = read_body(raw, "CancelServiceOrder_Create")
    caller = _caller(principal)
    mark_tenant(request, caller)
    found = await in_engine_thread(lambda: tmf_orders.cancel_order(store, caller, body, actor=principal.subject))
    mark_tenant(request, found["tenant"])
    return one_response(request, _cancel_out(request, found), 201)


@router.get("/cancelServiceOrder/{id}", summary="Retrieves a CancelServiceOrder by ID")
def retrieve_cancel_service_order(id: OrderId, request: Request, principal: PrincipalDep,
                                  store: StoreDep) -> JSONResponse:
    return one_response(request, _cancel_out(request, tmf_orders.get_cancel(store, id, _caller(principal))))


add_hub_routes(router, "serviceOrdering")
